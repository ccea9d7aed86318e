import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { QmpLineSplitter, encodeQmpCommand, parseQmpMessage } from './qmp-codec.js';

/** A real session with QEMU 7.2 on QMP stdio (tsc does not copy testdata, so read it from src/). */
const SESSION = readFileSync(
  new URL('../../../../src/backends/qemu/testdata/qmp-session-7.2.jsonl', import.meta.url),
  'utf8',
);

test('parses every line of a real QEMU 7.2 session', () => {
  const messages = new QmpLineSplitter().push(SESSION).map(parseQmpMessage);
  assert.deepEqual(
    messages.map((m) => m.kind),
    [
      'greeting',
      'return',
      'return',
      'event',
      'return',
      'event',
      'return',
      'error',
      'return',
      'event',
      'return',
      'event',
      'return',
      'event',
      'return',
    ],
  );
  assert.deepEqual(messages[0], {
    kind: 'greeting',
    version: { major: 7, minor: 2, micro: 22, package: 'Debian 1:7.2+dfsg-7+deb12u18+b3' },
    capabilities: ['oob'],
  });
  assert.deepEqual(messages[2], {
    kind: 'return',
    id: 's1',
    value: { status: 'running', singlestep: false, running: true },
  });
  assert.deepEqual(messages[7], {
    kind: 'error',
    id: 'e1',
    errorClass: 'CommandNotFound',
    desc: 'The command no-such-command has not been found',
  });
  assert.deepEqual(messages[8], { kind: 'return', id: 'h1', value: 'VM status: running\r\n' });
  assert.deepEqual(messages[13], {
    kind: 'event',
    event: 'SHUTDOWN',
    data: { guest: false, reason: 'host-qmp-quit' },
    timestampUs: 1795624492217028,
  });
  assert.deepEqual(messages[3], { kind: 'event', event: 'STOP', data: {}, timestampUs: 1795624491509848 });
});

test('the splitter joins lines split across chunks, drops CR and blank lines', () => {
  const splitter = new QmpLineSplitter();
  assert.deepEqual(splitter.push('{"return": {}, "id"'), []);
  assert.equal(splitter.bufferedBytes, 19);
  assert.deepEqual(splitter.push(': "a"}\r\n\r\n{"return": 1}\n{"ret'), [
    '{"return": {}, "id": "a"}',
    '{"return": 1}',
  ]);
  assert.deepEqual(splitter.push('urn": 2}\n'), ['{"return": 2}']);
});

test('the splitter keeps a multi-byte character split between chunks', () => {
  const bytes = Buffer.from('{"return": "é"}\n');
  const splitter = new QmpLineSplitter();
  assert.deepEqual(splitter.push(bytes.subarray(0, 13)), []);
  const [line] = splitter.push(bytes.subarray(13));
  assert.deepEqual(parseQmpMessage(line ?? ''), { kind: 'return', id: undefined, value: 'é' });
});

test('malformed lines are protocol errors naming the problem', () => {
  assert.throws(() => parseQmpMessage('{"return": '), /QMP protocol error: not JSON/);
  assert.throws(() => parseQmpMessage('[1]'), /not a JSON object/);
  assert.throws(() => parseQmpMessage('{"hello": 1}'), /not a greeting, return, error or event/);
});

test('a non-string id is kept as its JSON text', () => {
  assert.deepEqual(parseQmpMessage('{"return": {}, "id": 7}'), { kind: 'return', id: '7', value: {} });
});

test('encodes commands as one line, arguments and id only when given', () => {
  assert.equal(encodeQmpCommand('qmp_capabilities'), '{"execute":"qmp_capabilities"}\n');
  assert.equal(
    encodeQmpCommand('human-monitor-command', { 'command-line': 'savevm x' }, 'skiff-3'),
    '{"execute":"human-monitor-command","arguments":{"command-line":"savevm x"},"id":"skiff-3"}\n',
  );
});
