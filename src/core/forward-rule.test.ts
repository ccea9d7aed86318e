import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkForwardRule,
  forwardHostLabel,
  forwardHostsOverlap,
  parseForwardHost,
  parseForwardSpec,
} from './forward-rule.js';

test('a rule: address 127.0.0.1 and tcp unless given', () => {
  assert.deepEqual(parseForwardSpec('8080:80'), {
    protocol: 'tcp',
    hostAddress: '127.0.0.1',
    hostPort: 8080,
    guestPort: 80,
  });
  assert.deepEqual(parseForwardSpec('0.0.0.0:5353:53/udp'), {
    protocol: 'udp',
    hostAddress: '0.0.0.0',
    hostPort: 5353,
    guestPort: 53,
  });
  assert.deepEqual(parseForwardSpec('192.168.1.10:1:65535/TCP'), {
    protocol: 'tcp',
    hostAddress: '192.168.1.10',
    hostPort: 1,
    guestPort: 65535,
  });
});

test('each bad part of a rule is named', () => {
  const cases: Array<[string, RegExp, string]> = [
    ['8080', /expected \[ADDRESS:\]HOSTPORT:GUESTPORT/, 'rule'],
    ['1:2:3:4', /expected \[ADDRESS:\]HOSTPORT:GUESTPORT/, 'rule'],
    ['0:80', /host port 0 is out of range \(1-65535\)/, 'host_port'],
    ['65536:80', /host port 65536 is out of range/, 'host_port'],
    ['8080:0', /guest port 0 is out of range/, 'guest_port'],
    ['8080:70000', /guest port 70000 is out of range/, 'guest_port'],
    ['http:80', /host port "http" is not a port number/, 'host_port'],
    ['8080:-1', /guest port "-1" is not a port number/, 'guest_port'],
    ['8080:', /guest port "" is not a port number/, 'guest_port'],
    ['8080:80/sctp', /protocol "sctp" is not tcp or udp/, 'protocol'],
    ['8080:80/', /protocol "" is not tcp or udp/, 'protocol'],
    ['localhost:8080:80', /host address "localhost" is not an IPv4 address/, 'host_address'],
    ['256.0.0.1:8080:80', /host address "256.0.0.1"/, 'host_address'],
    ['127.0.0.01:8080:80', /host address "127.0.0.01"/, 'host_address'],
    ['127.0.0:8080:80', /host address "127.0.0"/, 'host_address'],
    [':8080:80', /host address ""/, 'host_address'],
    ['[::1]:8080:80', /expected/, 'rule'],
  ];
  for (const [text, message, field] of cases) {
    assert.throws(
      () => parseForwardSpec(text),
      (error: { code: string; message: string; details: { field: string } }) => {
        assert.equal(error.code, 'invalid-argument', text);
        assert.match(error.message, message, text);
        assert.equal(error.details.field, field, text);
        return true;
      },
    );
  }
});

test('the host side alone, for remove', () => {
  assert.deepEqual(parseForwardHost('8080'), { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080 });
  assert.deepEqual(parseForwardHost('0.0.0.0:53/udp'), {
    protocol: 'udp',
    hostAddress: '0.0.0.0',
    hostPort: 53,
  });
  assert.throws(() => parseForwardHost('8080:80:1'), /expected \[ADDRESS:\]HOSTPORT\[\/tcp\|\/udp\]/);
  assert.throws(() => parseForwardHost('x:80'), /host address "x"/);
  assert.throws(() => parseForwardHost('0'), /host port 0 is out of range/);
});

test('rules from the API are checked with the same words', () => {
  const rule = { protocol: 'tcp' as const, hostAddress: '127.0.0.1', hostPort: 80, guestPort: 8080 };
  assert.equal(checkForwardRule(rule), rule);
  assert.throws(() => checkForwardRule({ ...rule, protocol: 'icmp' as 'tcp' }), /protocol "icmp"/);
  assert.throws(() => checkForwardRule({ ...rule, hostAddress: 'example.com' }), /not an IPv4 address/);
  assert.throws(() => checkForwardRule({ ...rule, guestPort: 0 }), /guest port 0 is out of range/);
  assert.throws(() => checkForwardRule({ ...rule, hostPort: 1.5 }), /host port 1.5 is out of range/);
});

test('two host sides overlap on the same protocol and port when one address covers the other', () => {
  const at = (hostAddress: string, hostPort = 8080, protocol: 'tcp' | 'udp' = 'tcp') => ({
    protocol,
    hostAddress,
    hostPort,
  });
  assert.ok(forwardHostsOverlap(at('127.0.0.1'), at('127.0.0.1')));
  assert.ok(forwardHostsOverlap(at('0.0.0.0'), at('127.0.0.1')));
  assert.ok(forwardHostsOverlap(at('127.0.0.1'), at('0.0.0.0')));
  assert.ok(!forwardHostsOverlap(at('127.0.0.1'), at('127.0.0.2')));
  assert.ok(!forwardHostsOverlap(at('127.0.0.1'), at('127.0.0.1', 8081)));
  assert.ok(!forwardHostsOverlap(at('127.0.0.1'), at('127.0.0.1', 8080, 'udp')));
  assert.equal(forwardHostLabel(at('0.0.0.0', 53, 'udp')), '0.0.0.0:53/udp');
});
