import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  CHANNEL,
  decodeData,
  encodeControl,
  encodeData,
  FrameError,
  messageBytes,
  parseClientControl,
  parseServerControl,
} from './exec-frames.js';

test('data frames carry every byte value unchanged, behind one channel byte', () => {
  const bytes = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0x0a, 0x0d]), randomBytes(4096)]);
  for (const channel of [CHANNEL.stdin, CHANNEL.stdout, CHANNEL.stderr]) {
    const frame = encodeData(channel, bytes);
    assert.equal(frame.length, bytes.length + 1);
    assert.equal(frame[0], channel);
    const decoded = decodeData(frame);
    assert.equal(decoded.channel, channel);
    assert.ok(decoded.bytes.equals(bytes));
  }
  assert.ok(decodeData(encodeData(CHANNEL.stdout, Buffer.alloc(0))).bytes.equals(Buffer.alloc(0)));
});

test('a frame without a channel byte or with an unknown channel is refused', () => {
  assert.throws(() => decodeData(Buffer.alloc(0)), FrameError);
  assert.throws(() => decodeData(Buffer.from([3, 65])), /unknown channel 3/);
  assert.throws(() => decodeData(Buffer.from([0xff])), /unknown channel 255/);
});

test('fragmented and ArrayBuffer messages are joined into one Buffer', () => {
  assert.ok(messageBytes([Buffer.from([1, 2]), Buffer.from([3])]).equals(Buffer.from([1, 2, 3])));
  assert.ok(messageBytes(new Uint8Array([1, 9]).buffer).equals(Buffer.from([1, 9])));
});

test('client control messages: resize within bounds, stdin-eof; anything else named', () => {
  assert.deepEqual(parseClientControl(encodeControl({ type: 'resize', cols: 132, rows: 43 })), {
    type: 'resize',
    cols: 132,
    rows: 43,
  });
  assert.deepEqual(parseClientControl('{"type":"stdin-eof"}'), { type: 'stdin-eof' });
  for (const bad of [
    '{"type":"resize","cols":0,"rows":10}',
    '{"type":"resize","cols":80.5,"rows":10}',
    '{"type":"resize","cols":80,"rows":100000}',
    '{"type":"resize","cols":"80","rows":24}',
  ])
    assert.throws(() => parseClientControl(bad), /resize: cols and rows/);
  assert.throws(() => parseClientControl('{"type":"exit","code":0}'), /unknown control message type "exit"/);
  assert.throws(() => parseClientControl('not json'), /not JSON/);
  assert.throws(() => parseClientControl('[1]'), /not a JSON object/);
});

test('server control messages: exit codes 0-255 and errors with a code and a message', () => {
  assert.deepEqual(parseServerControl(encodeControl({ type: 'exit', code: 255 })), {
    type: 'exit',
    code: 255,
  });
  assert.throws(() => parseServerControl('{"type":"exit","code":256}'), /exit: code/);
  assert.throws(() => parseServerControl('{"type":"exit"}'), /exit: code/);
  const error = { code: 'conflict' as const, message: 'instance "a" is not running' };
  assert.deepEqual(parseServerControl(encodeControl({ type: 'error', error })), { type: 'error', error });
  assert.throws(() => parseServerControl('{"type":"error","error":{"code":"x"}}'), /error: needs/);
  assert.throws(() => parseServerControl('{"type":"resize","cols":1,"rows":1}'), /unknown control/);
});
