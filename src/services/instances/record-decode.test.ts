import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInstanceRecords } from './record-decode.js';
import { mountTag } from '../../core/mount-spec.js';
import type { InstanceRecord } from './store.js';

const good: InstanceRecord = {
  name: 'web',
  state: 'Running',
  stateBeforeDelete: null,
  cpus: 1,
  memoryBytes: 2 ** 30,
  diskBytes: 5 * 2 ** 30,
  sshPort: 40022,
  mac: '52:54:00:12:34:56',
  image: {
    id: 'a'.repeat(64),
    path: '/var/lib/skiff/vault/images/a.img',
    releaseTitle: '24.04 LTS',
    os: 'Ubuntu',
    remote: 'release',
    query: 'noble',
    version: '20261120',
  },
  createdAtMs: 1,
  shutdownAtMs: null,
  launched: true,
};

test('well-formed records are kept as they are', () => {
  const other = { ...good, name: 'db', image: { ...good.image, remote: null, id: '' } };
  const pinned = { ...good, name: 'pinned', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+b/9= root@vm' };
  const unpinned = { ...good, name: 'unpinned', hostKey: null };
  assert.deepEqual(decodeInstanceRecords([good, other, pinned, unpinned]), {
    value: [good, other, pinned, unpinned],
    dropped: [],
  });
});

test('a name that is not an instance name is dropped: it would become a path', () => {
  for (const name of ['../../x', 'a/b', '', '.', 'x'.repeat(64), '-a']) {
    const result = decodeInstanceRecords([{ ...good, name }, good]);
    assert.deepEqual(result.value, [good], name);
    assert.deepEqual(result.dropped, [
      `dropped instance record ${JSON.stringify(name)}: name is not a valid instance name`,
    ]);
  }
});

test('each wrong-typed field is named', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ name: 7 }, /#0: name: expected a string, got 7/],
    [{ state: 'Dancing' }, /state: expected an instance state, got "Dancing"/],
    [{ cpus: '2' }, /cpus: expected a whole number >= 1, got "2"/],
    [{ memoryBytes: -1 }, /memoryBytes/],
    [{ sshPort: 70000 }, /sshPort: expected a port number/],
    [{ mac: 'nope' }, /mac: expected a MAC address/],
    [{ launched: 'yes' }, /launched: expected true or false/],
    [{ createdAtMs: undefined }, /createdAtMs: expected a time in ms, got nothing/],
    [{ image: null }, /image: expected an object, got null/],
    [{ hostKey: 'ssh-ed25519 AAAA\n* ssh-rsa BBBB' }, /hostKey: expected an SSH public key or null/],
    [{ hostKey: 42 }, /hostKey: expected an SSH public key or null/],
    [{ image: { ...good.image, id: '../x' } }, /image\.id: expected a sha256/],
    [{ image: { ...good.image, version: 1 } }, /image\.version: expected a string/],
  ];
  for (const [change, message] of cases) {
    const result = decodeInstanceRecords([{ ...good, ...change }]);
    assert.deepEqual(result.value, [], message.source);
    assert.match(result.dropped[0]!, message);
  }
});

test('a second record of one name is dropped, non-objects too; a non-list is unusable', () => {
  const result = decodeInstanceRecords([good, { ...good, cpus: 4 }, 'x']);
  assert.deepEqual(result.value, [good]);
  assert.deepEqual(result.dropped, [
    'dropped instance record "web": a second record with this name',
    'dropped instance record #2: expected an object, got string',
  ]);
  assert.throws(() => decodeInstanceRecords({ web: good }), /expected a list, got object/);
  assert.throws(() => decodeInstanceRecords(null), /expected a list, got null/);
});

test('network: a mode and an IPv4 literal, or absent (records from before networks)', () => {
  const nat = { ...good, name: 'nat', network: { mode: 'nat' as const, ipv4: '10.23.4.5' } };
  const user = { ...good, name: 'user', network: { mode: 'user' as const } };
  assert.deepEqual(decodeInstanceRecords([nat, user]).dropped, []);
  const bad = [
    { network: 'nat' },
    { network: { mode: 'bridge' } },
    { network: { mode: 'nat', ipv4: '10.0.0.1 -oProxyCommand=x' } },
    { network: { mode: 'nat', ipv4: '::1' } },
  ];
  for (const change of bad) {
    const { dropped } = decodeInstanceRecords([{ ...good, ...change }]);
    assert.match(dropped[0] ?? '', /network/, JSON.stringify(change));
  }
});

test('extra NICs: well-formed ones are kept; each bad field is named and drops the record', () => {
  const nic = { host: 'br0', kind: 'bridge', mac: '52:54:00:aa:bb:01', mode: 'auto' } as const;
  const withNics = {
    ...good,
    name: 'bridged',
    extraNics: [nic, { ...nic, host: 'eth1', kind: 'macvtap', mac: '52:54:00:aa:bb:02', mode: 'manual' }],
  };
  assert.deepEqual(decodeInstanceRecords([withNics]), { value: [withNics], dropped: [] });
  const cases: Array<[unknown, RegExp]> = [
    [{}, /extraNics: expected a list/],
    [[null], /extraNics\[0\]: expected an object/],
    [[{ ...nic, host: 'br0,x=1' }], /extraNics\[0\]\.host: expected an interface name/],
    [[{ ...nic, host: '-br0' }], /extraNics\[0\]\.host: expected an interface name/],
    [[{ ...nic, kind: 'user' }], /extraNics\[0\]\.kind: expected bridge or macvtap/],
    [[{ ...nic, mode: 'dhcp' }], /extraNics\[0\]\.mode: expected auto or manual/],
    [[{ ...nic, mac: 'ff:ff:ff:ff:ff:ff' }], /extraNics\[0\]\.mac: expected a unicast MAC address/],
    [[nic, nic], /extraNics\[1\]\.mac: 52:54:00:aa:bb:01 is used by another NIC/],
    [[{ ...nic, mac: good.mac.toUpperCase() }], /extraNics\[0\]\.mac: .* is used by another NIC/],
  ];
  for (const [extraNics, words] of cases) {
    const result = decodeInstanceRecords([{ ...good, extraNics }]);
    assert.deepEqual(result.value, [], JSON.stringify(extraNics));
    assert.match(result.dropped[0] ?? '', words);
  }
});

test('forwards are checked rule by rule: a bad one is dropped alone, the instance stays', () => {
  const forwards = [
    { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 },
    { protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 5353, guestPort: 53 },
  ];
  const kept = { ...good, forwards } as InstanceRecord;
  assert.deepEqual(decodeInstanceRecords([kept]), { value: [kept], dropped: [] });
  const cases: Array<[unknown, unknown[] | undefined, RegExp]> = [
    ['8080:80', undefined, /forwards: expected a list, got "8080:80"/],
    [[7, forwards[0]], [forwards[0]], /forwards\[0\]: expected a forward rule, got 7/],
    [[{ ...forwards[0], protocol: 'sctp' }], [], /forwards\[0\]: protocol "sctp"/],
    [[forwards[0], { ...forwards[1], hostPort: 0 }], [forwards[0]], /forwards\[1\]: .*host port 0 is out/],
    [[{ ...forwards[0], hostAddress: '::1' }], [], /forwards\[0\]: .*not an IPv4 address/],
    [[{ ...forwards[0], guestPort: '80' }], [], /forwards\[0\]: .*guest port 80 is out of range/],
  ];
  for (const [value, left, message] of cases) {
    const result = decodeInstanceRecords([{ ...good, forwards: value }]);
    assert.deepEqual(result.value, [left === undefined ? good : { ...good, forwards: left }], message.source);
    assert.equal(result.dropped.length, 1);
    assert.match(result.dropped[0]!, /^dropped from instance record "web": /);
    assert.match(result.dropped[0]!, message);
  }
});

test('mounts are checked one by one: a bad one is dropped alone, the instance stays', () => {
  const mount = {
    source: '/home/me/src',
    target: '/home/ubuntu/src',
    type: 'native',
    uidMap: [{ host: 1001, guest: 1000 }],
    gidMap: [],
    tag: mountTag('/home/ubuntu/src'),
    transport: 'virtiofs',
  };
  const other = { ...mount, target: '/data', tag: mountTag('/data'), transport: undefined };
  delete other.transport;
  const kept = { ...good, mounts: [mount, other] } as InstanceRecord;
  assert.deepEqual(decodeInstanceRecords([kept]), { value: [kept], dropped: [] });
  const cases: Array<[unknown, unknown[] | undefined, RegExp]> = [
    ['/src', undefined, /mounts: expected a list, got "\/src"/],
    [[7, mount], [mount], /mounts\[0\]: expected an object, got 7/],
    [[{ ...mount, source: 'rel' }], [], /mounts\[0\]\.source: expected an absolute normal path/],
    [[{ ...mount, source: '/a/../etc' }], [], /mounts\[0\]\.source: expected an absolute normal path/],
    [
      [{ ...mount, target: '/proc', tag: mountTag('/proc') }],
      [],
      /mounts\[0\]\.target: unable to mount to "\/proc"/,
    ],
    [
      [mount, { ...mount, source: '/b' }],
      [mount],
      /mounts\[1\]\.target: "\/home\/ubuntu\/src" is mounted twice/,
    ],
    [[{ ...mount, type: 'nfs' }], [], /mounts\[0\]\.type: expected native or classic/],
    [[{ ...mount, uidMap: [{ host: -1, guest: 0 }] }], [], /mounts\[0\]\.uidMap: expected a list of/],
    [[{ ...mount, tag: 'x' }], [], /mounts\[0\]\.tag: expected "skiff-/],
    [[{ ...mount, transport: 'nfs' }], [], /mounts\[0\]\.transport: expected virtiofs or 9p/],
  ];
  for (const [value, left, message] of cases) {
    const result = decodeInstanceRecords([{ ...good, mounts: value }]);
    assert.deepEqual(result.value, [left === undefined ? good : { ...good, mounts: left }], message.source);
    assert.equal(result.dropped.length, 1, message.source);
    assert.match(result.dropped[0]!, /^dropped from instance record "web": /);
    assert.match(result.dropped[0]!, message);
  }
});
