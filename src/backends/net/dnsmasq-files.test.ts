import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addnHostsFile, dhcpHostsFile, parseLeases } from './dnsmasq-files.js';

const reservations = [
  { name: 'web', mac: '52:54:00:00:00:01', ipv4: '10.9.9.2' },
  { name: 'db-1', mac: '52:54:00:00:00:02', ipv4: '10.9.9.3' },
];

describe('the files dnsmasq reads', () => {
  it('dhcp-hostsfile: MAC,IPv4,NAME; addn-hosts: IPv4 NAME.DOMAIN NAME', () => {
    assert.equal(
      dhcpHostsFile(reservations),
      '52:54:00:00:00:01,10.9.9.2,web\n52:54:00:00:00:02,10.9.9.3,db-1\n',
    );
    assert.equal(addnHostsFile(reservations, 'skiff'), '10.9.9.2 web.skiff web\n10.9.9.3 db-1.skiff db-1\n');
    assert.equal(dhcpHostsFile([]), '');
  });

  it('refuses a reservation that would add a line of its own', () => {
    assert.throws(() =>
      dhcpHostsFile([{ name: 'a\n00:11:22:33:44:55', mac: '52:54:00:00:00:01', ipv4: '10.9.9.2' }]),
    );
    assert.throws(() =>
      addnHostsFile([{ name: 'a', mac: '52:54:00:00:00:01', ipv4: '10.9.9.2 evil' }], 'skiff'),
    );
  });
});

describe('parseLeases', () => {
  // A line dnsmasq 2.90 wrote for busybox udhcpc, then a DHCPv6 section (skipped).
  const text = [
    '1795803135 52:54:00:00:00:01 10.99.0.5 foo 01:52:54:00:00:00:01',
    '1795803000 52:54:00:AA:00:02 10.99.0.6 * *',
    '0 52:54:00:00:00:03 10.99.0.7 forever *',
    '1000 52:54:00:00:00:04 10.99.0.8 expired *',
    'duid 00:01:00:01:2c:5e:4f:a1:52:54:00:00:00:09',
    '1795803135 1234 fd00::5 v6host 00:02:00',
    'garbage',
    '',
  ].join('\n');

  it('maps lowercase MACs to their IPv4 addresses, skipping expired, IPv6 and garbage lines', () => {
    const leases = parseLeases(text, 1_700_000_000);
    assert.deepEqual(
      [...leases.entries()],
      [
        ['52:54:00:00:00:01', ['10.99.0.5']],
        ['52:54:00:aa:00:02', ['10.99.0.6']],
        ['52:54:00:00:00:03', ['10.99.0.7']],
      ],
    );
    assert.equal(
      parseLeases(text).get('52:54:00:00:00:04')?.[0],
      '10.99.0.8',
      'without a time nothing expires',
    );
    assert.equal(parseLeases('\0\0binary').size, 0);
  });
});
