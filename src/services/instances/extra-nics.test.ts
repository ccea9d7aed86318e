import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkExtraNics, generateMac, macsInUse, nicsFor, type ExtraNicsContext } from './extra-nics.js';
import type { HostInterface } from './ports.js';
import type { InstanceRecord } from './store.js';

const interfaces: HostInterface[] = [
  { name: 'br0', type: 'bridge', description: 'Network bridge with eth1' },
  { name: 'eth2', type: 'ethernet', description: 'Ethernet device' },
];
/** A random source that counts up from 1, so generated MACs are known in advance. */
const counting = () => {
  let n = 0;
  return (bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => (i === bytes - 1 ? ++n : 0));
};
const ctx = (over: Partial<ExtraNicsContext> = {}): ExtraNicsContext => ({
  interfaces,
  bridgedNetwork: '',
  macsInUse: new Map([['52:54:00:00:00:01', 'web']]),
  random: counting(),
  ...over,
});

test('a bridge gets a tap, an ethernet device a macvtap; mode defaults to auto; MACs are generated unused', () => {
  assert.deepEqual(
    checkExtraNics([{ name: 'br0' }, { name: 'eth2', mode: 'manual', mac: '52:54:00:00:00:02' }], ctx()),
    [
      // 00:00:01 is web's, 00:00:02 was asked for: the generator skips both.
      { host: 'br0', kind: 'bridge', mode: 'auto', mac: '52:54:00:00:00:03' },
      { host: 'eth2', kind: 'macvtap', mode: 'manual', mac: '52:54:00:00:00:02' },
    ],
  );
  assert.deepEqual(checkExtraNics([], ctx()), []);
});

test('"bridged" is the interface in local.bridged-network; unset or unusable, the error says how to fix it', () => {
  assert.deepEqual(checkExtraNics([{ name: 'bridged' }], ctx({ bridgedNetwork: 'br0' })), [
    { host: 'br0', kind: 'bridge', mode: 'auto', mac: '52:54:00:00:00:02' },
  ]);
  assert.throws(() => checkExtraNics([{ name: 'bridged' }], ctx()), {
    code: 'not-found',
    message: 'You have to `skiff set local.bridged-network=<name>` to use the "bridged" shortcut.',
  });
  assert.throws(() => checkExtraNics([{ name: 'bridged' }], ctx({ bridgedNetwork: 'wlan0' })), {
    code: 'not-found',
    message:
      'Invalid network "wlan0" set as bridged interface, use `skiff set local.bridged-network=<name>` to correct. See `skiff networks` for valid names.',
  });
});

test('every bad request is refused with its code and the option named', () => {
  const cases: Array<[Parameters<typeof checkExtraNics>[0], string, RegExp]> = [
    [[{ name: 'nosuch' }], 'not-found', /^--network nosuch: no usable host interface named "nosuch"/],
    [[{ name: 'br0,x=1' }], 'invalid-argument', /^--network br0,x=1: not an interface name/],
    [[{ name: 'br0', mode: 'dhcp' }], 'invalid-argument', /^--network br0: bad mode "dhcp"/],
    [[{ name: 'br0', mac: '01:00:5e:00:00:01' }], 'invalid-argument', /^--network br0: mac: .* multicast/],
    [[{ name: 'br0', mac: '00:00:00:00:00:00' }], 'invalid-argument', /all-zero/],
    [[{ name: 'br0', mac: 'nonsense' }], 'invalid-argument', /not a MAC address/],
    [
      [{ name: 'br0', mac: '52:54:00:00:00:01' }],
      'conflict',
      /^--network br0: MAC address 52:54:00:00:00:01 is already used by instance "web"$/,
    ],
    [
      [
        { name: 'br0', mac: '52:54:00:0A:00:09' },
        { name: 'eth2', mac: '52:54:00:0a:00:09' },
      ],
      'conflict',
      /^--network eth2: MAC address 52:54:00:0a:00:09 is given twice$/,
    ],
    [
      Array.from({ length: 9 }, () => ({ name: 'br0' })),
      'invalid-argument',
      /at most 8 extra network interfaces/,
    ],
  ];
  for (const [requests, code, words] of cases) {
    assert.throws(
      () => checkExtraNics(requests, ctx()),
      (e: Error & { code?: string }) => e.code === code && words.test(e.message),
      JSON.stringify(requests),
    );
  }
});

test('macsInUse: primary and extra MACs of every instance, lowercased', () => {
  const records = [
    { name: 'a', mac: '52:54:00:AA:00:01' },
    {
      name: 'b',
      mac: '52:54:00:aa:00:02',
      extraNics: [{ host: 'br0', kind: 'bridge', mode: 'auto', mac: '52:54:00:AA:00:03' }],
    },
  ] as InstanceRecord[];
  assert.deepEqual(
    [...macsInUse(records)],
    [
      ['52:54:00:aa:00:01', 'a'],
      ['52:54:00:aa:00:02', 'b'],
      ['52:54:00:aa:00:03', 'b'],
    ],
  );
});

test('generateMac: QEMU prefix, unused, and a clear error when the random source keeps colliding', () => {
  const taken = new Set(['52:54:00:00:00:01']);
  assert.equal(generateMac(taken, counting()), '52:54:00:00:00:02');
  assert.ok(taken.has('52:54:00:00:00:02'));
  assert.match(generateMac(new Set()), /^52:54:00(?::[0-9a-f]{2}){3}$/);
  assert.throws(() => generateMac(new Set(['52:54:00:00:00:00']), (n) => new Uint8Array(n)), {
    code: 'internal',
  });
});

test('nicsFor: the primary NIC first, then each extra NIC as a bridge port or a macvtap', () => {
  const record = {
    mac: '52:54:00:00:00:01',
    extraNics: [
      { host: 'br0', kind: 'bridge', mode: 'auto', mac: '52:54:00:00:00:02' },
      { host: 'eth2', kind: 'macvtap', mode: 'manual', mac: '52:54:00:00:00:03' },
    ],
  } as const satisfies Pick<InstanceRecord, 'mac' | 'extraNics'>;
  assert.deepEqual(nicsFor(record, { kind: 'user' }), [
    { mac: '52:54:00:00:00:01', attach: { kind: 'user' } },
    { mac: '52:54:00:00:00:02', attach: { kind: 'bridge', bridge: 'br0' } },
    { mac: '52:54:00:00:00:03', attach: { kind: 'macvtap', parent: 'eth2' } },
  ]);
  assert.deepEqual(nicsFor({ mac: record.mac }, { kind: 'bridge', bridge: 'skiffbr0' }), [
    { mac: '52:54:00:00:00:01', attach: { kind: 'bridge', bridge: 'skiffbr0' } },
  ]);
});
