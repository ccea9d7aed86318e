import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostNicName } from './host-nics.js';

test('hostNicName: fits IFNAMSIZ for the longest instance name, differs by name, kind and index', () => {
  const long = `a${'b'.repeat(62)}`;
  const names = [
    hostNicName(long, 0, 'tap'),
    hostNicName(long, 1, 'tap'),
    hostNicName(long, 0, 'macvtap'),
    hostNicName('web', 0, 'tap'),
  ];
  for (const name of names) assert.match(name, /^sk[0-9a-f]{8}[tm]\d$/);
  assert.equal(new Set(names).size, names.length);
  assert.equal(hostNicName('web', 0, 'tap'), hostNicName('web', 0, 'tap'));
});
