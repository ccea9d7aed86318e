import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SkiffError } from '../../core/errors.js';
import {
  formatSubnet,
  netmask,
  overlaps,
  parseCidr,
  pickSubnet,
  subnetCandidates,
  subnetHosts,
  validateSubnet,
  type Subnet,
} from './subnet.js';

const cidr = (text: string): Subnet => {
  const s = parseCidr(text);
  assert.ok(s, text);
  return s;
};

describe('parseCidr and overlaps', () => {
  it('masks a host address to its network and reads a bare address as /32', () => {
    assert.equal(formatSubnet(cidr('192.0.2.77/24')), '192.0.2.0/24');
    assert.equal(formatSubnet(cidr('10.1.2.3')), '10.1.2.3/32');
    for (const bad of ['10.1.2/24', '10.1.2.256/24', '10.1.2.3/33', '010.1.2.3/8', 'x', '10.1.2.3/24/1']) {
      assert.equal(parseCidr(bad), null, bad);
    }
  });

  it('overlap is sharing any address, in either direction', () => {
    assert.ok(overlaps(cidr('10.1.2.0/24'), cidr('10.1.0.0/16')));
    assert.ok(overlaps(cidr('10.1.0.0/16'), cidr('10.1.2.0/24')));
    assert.ok(overlaps(cidr('10.1.2.0/24'), cidr('10.1.2.200')));
    assert.ok(!overlaps(cidr('10.1.2.0/24'), cidr('10.1.3.0/24')));
    assert.ok(!overlaps(cidr('10.1.2.0/24'), cidr('10.1.1.255')));
  });

  it('a /24 has its gateway at .1, guests from .2 to .254, netmask 255.255.255.0', () => {
    const hosts = subnetHosts(cidr('10.7.8.0/24'));
    assert.equal(hosts.gateway, '10.7.8.1');
    assert.equal(hosts.last - hosts.first + 1, 253);
    assert.equal(netmask(cidr('10.7.8.0/24')), '255.255.255.0');
    assert.equal(netmask(cidr('172.16.0.0/20')), '255.255.240.0');
  });
});

describe('validateSubnet', () => {
  const refused = (text: string, why: RegExp) =>
    assert.throws(
      () => validateSubnet(text),
      (e: unknown) =>
        e instanceof SkiffError &&
        e.code === 'invalid-argument' &&
        e.message.startsWith('local.subnet: ') &&
        why.test(e.message),
      text,
    );

  it('accepts private networks from /16 to /28', () => {
    assert.deepEqual(validateSubnet('10.42.7.0/24'), cidr('10.42.7.0/24'));
    assert.deepEqual(validateSubnet('172.20.0.0/16'), cidr('172.20.0.0/16'));
    assert.deepEqual(validateSubnet('192.168.5.16/28'), cidr('192.168.5.16/28'));
  });

  it('refuses, naming the field and the reason', () => {
    refused('10.42.7.0', /not an IPv4 subnet/);
    refused('10.42.7.0/33', /not an IPv4 subnet/);
    refused('10.0.0.0/8', /prefix length/);
    refused('10.1.1.0/29', /prefix length/);
    refused('10.42.7.1/24', /did you mean 10\.42\.7\.0\/24/);
    refused('8.8.8.0/24', /not private/);
    refused('172.32.0.0/24', /not private/);
    assert.throws(() => validateSubnet('1.2.3.0/24', 'subnet'), /^SkiffError: subnet: /);
  });
});

describe('subnetCandidates', () => {
  it('are the same for a seed, differ between seeds, are distinct private /24s', () => {
    const a = subnetCandidates('skiffbr0');
    assert.deepEqual(a, subnetCandidates('skiffbr0'));
    assert.notDeepEqual(a, subnetCandidates('other'));
    assert.equal(a.length, 64);
    assert.equal(new Set(a.map(formatSubnet)).size, a.length);
    for (const s of a) {
      assert.equal(s.prefixLength, 24);
      validateSubnet(formatSubnet(s));
      assert.doesNotMatch(formatSubnet(s), /^10\.(0|255)\./);
    }
    assert.match(formatSubnet(a[0] as Subnet), /^10\./);
    assert.match(formatSubnet(a.at(-1) as Subnet), /^192\.168\./);
  });
});

describe('pickSubnet', () => {
  const candidates = ['10.1.1.0/24', '10.1.2.0/24', '10.2.0.0/24', '192.168.9.0/24'].map(cidr);

  it('takes the first candidate when nothing overlaps it', () => {
    assert.equal(formatSubnet(pickSubnet([cidr('192.0.2.0/24')], candidates)), '10.1.1.0/24');
  });

  it('a default route (0.0.0.0/0) does not count as overlapping everything', () => {
    assert.equal(formatSubnet(pickSubnet([cidr('0.0.0.0/0')], candidates)), '10.1.1.0/24');
  });

  it('skips candidates overlapping an address network, a host route or a wider route', () => {
    assert.equal(formatSubnet(pickSubnet([cidr('10.1.1.9/24')], candidates)), '10.1.2.0/24');
    assert.equal(
      formatSubnet(pickSubnet([cidr('10.1.1.7'), cidr('10.1.2.0/25')], candidates)),
      '10.2.0.0/24',
    );
    // A /16 route covers the first two; a /8 (a VPN taking all of 10/8) covers every 10.x candidate.
    assert.equal(formatSubnet(pickSubnet([cidr('10.1.0.0/16')], candidates)), '10.2.0.0/24');
    assert.equal(formatSubnet(pickSubnet([cidr('10.0.0.0/8')], candidates)), '192.168.9.0/24');
  });

  it('says so when every candidate is taken', () => {
    assert.throws(
      () => pickSubnet([cidr('10.0.0.0/8'), cidr('192.168.0.0/16')], candidates),
      (e: unknown) =>
        e instanceof SkiffError &&
        e.code === 'conflict' &&
        /all 4 candidates .*local\.subnet/.test(e.message),
    );
  });
});
