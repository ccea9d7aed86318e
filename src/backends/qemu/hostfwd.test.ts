import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHostfwdAdd, checkHostfwdRemove, hostfwdAddCommand, hostfwdRemoveCommand } from './hostfwd.js';

const rule = { protocol: 'udp' as const, hostAddress: '0.0.0.0', hostPort: 5353, guestPort: 53 };

test('HMP commands name netdev n0, the host side and the guest port', () => {
  assert.equal(hostfwdAddCommand(rule), 'hostfwd_add n0 udp:0.0.0.0:5353-:53');
  assert.equal(hostfwdRemoveCommand(rule), 'hostfwd_remove n0 udp:0.0.0.0:5353');
});

test("QEMU's answers (7.2's words): empty is success, its sentence a conflict naming address and port", () => {
  checkHostfwdAdd('', rule);
  assert.throws(
    () => checkHostfwdAdd("Could not set up host forwarding rule 'udp:0.0.0.0:5353-:53'\r\n", rule),
    {
      code: 'conflict',
      message: /^cannot listen on 0\.0\.0\.0:5353\/udp: the port is taken .*Could not set up/,
    },
  );
  checkHostfwdRemove('host forwarding rule for udp:0.0.0.0:5353 removed\r\n', rule);
  checkHostfwdRemove('host forwarding rule for udp:0.0.0.0:5353 not found\r\n', rule);
  assert.throws(() => checkHostfwdRemove("unrecognized netdev id 'n0'\r\n", rule), { code: 'internal' });
});
