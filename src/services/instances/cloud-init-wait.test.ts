import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudInitWarning, parseStatus } from './cloud-init-wait.js';

test('parseStatus reads cloud-init 22.4 JSON, with or without noise before it', () => {
  assert.deepEqual(parseStatus('\n{\n  "status": "done",\n  "errors": []\n}\n'), {
    status: 'done',
    errors: [],
  });
  assert.deepEqual(parseStatus('.....\n{"status": "error", "errors": ["a", "b"], "detail": "x"}'), {
    status: 'error',
    errors: ['a', 'b'],
  });
});

test('parseStatus: recoverable ERROR-level errors (cloud-init 23.4+) count; warnings do not', () => {
  const json = JSON.stringify({
    status: 'done',
    errors: [],
    recoverable_errors: { ERROR: ['module x failed'], WARNING: ['deprecated key'] },
  });
  assert.deepEqual(parseStatus(json), { status: 'done', errors: ['module x failed'] });
});

test('parseStatus: no JSON (an old cloud-init, a missing command) is unknown with no errors', () => {
  assert.deepEqual(parseStatus('sh: cloud-init: not found'), { status: 'unknown', errors: [] });
  assert.deepEqual(parseStatus(''), { status: 'unknown', errors: [] });
});

test('cloudInitWarning: none when done; names errors and the log otherwise', () => {
  assert.equal(cloudInitWarning('a', { status: 'done', errors: [] }), null);
  assert.equal(cloudInitWarning('a', { status: 'unknown', errors: [] }), null);
  const warning = cloudInitWarning('a', { status: 'error', errors: [] }) ?? '';
  assert.match(warning, /^cloud-init in "a" finished with errors \(status: error\):\n {2}- \(no message/);
  assert.match(
    warning,
    /skiff exec a -- sudo cat \/var\/log\/cloud-init\.log \/var\/log\/cloud-init-output\.log$/,
  );
});
