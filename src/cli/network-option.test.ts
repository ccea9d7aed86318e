import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkOptions, parseNetworkOption } from './network-option.js';

test('name=IF with mode and mac, keys in any order and case; a lone word is the name', () => {
  assert.deepEqual(parseNetworkOption('name=br0'), { name: 'br0' });
  assert.deepEqual(parseNetworkOption('br0'), { name: 'br0' });
  assert.deepEqual(parseNetworkOption('mac=52:54:00:AA:bb:01,MODE=Manual,name=eth1'), {
    name: 'eth1',
    mode: 'manual',
    mac: '52:54:00:aa:bb:01',
  });
  assert.deepEqual(parseNetworkOption('name=br0,mode=auto,'), { name: 'br0', mode: 'auto' });
});

test('--bridged comes first, as the name the daemon resolves through local.bridged-network', () => {
  assert.deepEqual(networkOptions(['eth1', 'name=br0'], true), [
    { name: 'bridged' },
    { name: 'eth1' },
    { name: 'br0' },
  ]);
  assert.deepEqual(networkOptions(undefined, false), []);
});

test('bad specs: each error names --network, the spec and what is wrong', () => {
  for (const [spec, words] of [
    ['name=br0,colour=red', /unknown key "colour" \(keys: name, mode, mac\)/],
    ['name=br0,mode=dhcp', /bad mode "dhcp", need "auto" or "manual"/],
    ['name=br0,mac=52:54:00:zz:00:01', /mac: "52:54:00:zz:00:01" is not a MAC address/],
    ['name=br0,mac=01:00:5e:00:00:01', /multicast/],
    ['name=br0,mac=00:00:00:00:00:00', /all-zero/],
    ['mode=auto', /a name is needed/],
    ['', /a name is needed/],
    ['br0,eth1', /"br0" is not key=value/],
    ['name=', /name has no value/],
    ['name=br0,name=br1', /name is given twice/],
  ] as const) {
    assert.throws(
      () => parseNetworkOption(spec),
      (e: Error & { code?: string }) =>
        e.code === 'invalid-argument' && e.message.startsWith(`--network ${spec}: `) && words.test(e.message),
      spec,
    );
  }
});
