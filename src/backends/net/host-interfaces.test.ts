import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { classifyLinks, parseIpLinks, type IpLink } from './host-interfaces.js';

/**
 * Captured with iproute2 6.1: `ip -j -d link show` in a namespace holding bridges (one with a veth port, one
 * empty, skiff's own with a tap), free veths, a free tap, a macvtap, a macvlan and a vxlan; and `ip -j -d link
 * show eth0` of this machine's virtio NIC. tsc does not copy testdata, so it is read from src/.
 */
const fixture = (name: string): IpLink[] =>
  parseIpLinks(
    readFileSync(new URL(`../../../../src/backends/net/testdata/${name}`, import.meta.url), 'utf8'),
  );
const netns = fixture('ip-link-netns.json');
const eth0 = fixture('ip-link-eth0.json');
const none = new Set<string>();

test('bridges, physical NICs and free veths are listed, sorted; ports, taps, tunnels and skiffbr0 are not', () => {
  assert.deepEqual(classifyLinks([...netns, ...eth0], { exclude: new Set(['skiffbr0']), wireless: none }), [
    { name: 'br0', type: 'bridge', description: 'Network bridge with uplink0' },
    { name: 'br1', type: 'bridge', description: 'Network bridge' },
    { name: 'eth0', type: 'ethernet', description: 'Ethernet device' },
    { name: 'uplink0-peer', type: 'ethernet', description: 'Virtual Ethernet device' },
    { name: 've0', type: 'ethernet', description: 'Virtual Ethernet device' },
    { name: 've1', type: 'ethernet', description: 'Virtual Ethernet device' },
  ]);
});

test("a bridge's description names its ethernet ports, never the taps of guests", () => {
  const skiffbr0 = classifyLinks(netns, { exclude: none, wireless: none }).find((i) => i.name === 'skiffbr0');
  assert.deepEqual(skiffbr0, { name: 'skiffbr0', type: 'bridge', description: 'Network bridge' });
});

test('a wireless NIC is left out, and is no port worth naming in a bridge', () => {
  const names = classifyLinks(eth0, { exclude: none, wireless: new Set(['eth0']) }).map((i) => i.name);
  assert.deepEqual(names, []);
});

test('VLAN and bond devices are ethernet devices; their enslaved members are not listed', () => {
  // iproute2's JSON for these kinds (this machine's kernel has neither module, so they are written out).
  const links: IpLink[] = [
    { ifindex: 2, ifname: 'eth1', link_type: 'ether', master: 'bond0' },
    { ifindex: 3, ifname: 'eth2', link_type: 'ether', master: 'bond0' },
    { ifindex: 4, ifname: 'bond0', link_type: 'ether', linkinfo: { info_kind: 'bond' } },
    {
      ifindex: 5,
      ifname: 'bond0.10',
      link: 'bond0',
      link_type: 'ether',
      linkinfo: { info_kind: 'vlan', info_data: { id: 10 } },
    },
    { ifindex: 6, ifname: 'bond1', link_type: 'ether', linkinfo: { info_kind: 'bond' } },
  ];
  assert.deepEqual(classifyLinks(links, { exclude: none, wireless: none }), [
    { name: 'bond0', type: 'ethernet', description: 'Bond of eth1, eth2' },
    { name: 'bond0.10', type: 'ethernet', description: 'VLAN 10 on bond0' },
    { name: 'bond1', type: 'ethernet', description: 'Bond device' },
  ]);
});

test('names skiff does not accept are never listed (they would reach QEMU options and ip argv)', () => {
  const links: IpLink[] = [
    { ifindex: 2, ifname: 'br,x=1', link_type: 'ether', linkinfo: { info_kind: 'bridge' } },
    { ifindex: 3, ifname: '-eth', link_type: 'ether' },
  ];
  assert.deepEqual(classifyLinks(links, { exclude: none, wireless: none }), []);
});

test('parseIpLinks keeps entries with a name and an index, and refuses what is not a JSON list', () => {
  assert.deepEqual(parseIpLinks('[{"ifindex":1,"ifname":"lo"},{"ifname":"x"},3,null]'), [
    { ifindex: 1, ifname: 'lo' },
  ]);
  assert.throws(() => parseIpLinks('{}'));
  assert.throws(() => parseIpLinks('not json'));
});
