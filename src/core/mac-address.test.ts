import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInterfaceName } from './interface-name.js';
import { checkMac, macProblem } from './mac-address.js';

test('a unicast MAC is accepted, in lowercase', () => {
  assert.equal(checkMac('52:54:00:AB:cd:01', '--network mac'), '52:54:00:ab:cd:01');
  assert.equal(macProblem('02:00:00:00:00:01'), null);
});

test('malformed, all-zero, multicast and broadcast MACs are refused, naming the field', () => {
  for (const [mac, words] of [
    ['52:54:00:ab:cd', /not a MAC address/],
    ['52-54-00-ab-cd-01', /not a MAC address/],
    ['52:54:00:ab:cd:0g', /not a MAC address/],
    ['52:54:00:ab:cd:01:02', /not a MAC address/],
    ['', /not a MAC address/],
    ['00:00:00:00:00:00', /all-zero/],
    ['01:00:5e:00:00:01', /multicast/],
    ['ff:ff:ff:ff:ff:ff', /multicast/],
    ['53:54:00:00:00:01', /multicast/],
  ] as const) {
    assert.throws(
      () => checkMac(mac, '--network mac'),
      (e: Error & { code?: string; details?: { field?: string } }) =>
        e.code === 'invalid-argument' &&
        e.details?.field === '--network mac' &&
        words.test(e.message) &&
        e.message.startsWith('--network mac: '),
      mac,
    );
  }
});

test('interface names: what Linux and QEMU options both take safely', () => {
  for (const ok of ['br0', 'eth0', 'enp3s0', 'wlx0123456789ab', 'br-lan.10', 'a', 'x'.repeat(15)])
    assert.ok(isInterfaceName(ok), ok);
  for (const bad of [
    '',
    'x'.repeat(16),
    '-br0',
    '.',
    '..',
    '.hidden',
    'br0,x=y',
    'a b',
    'a/b',
    'a:1',
    'br0\n',
  ])
    assert.ok(!isInterfaceName(bad), JSON.stringify(bad));
});
