import assert from 'node:assert/strict';
import { it } from 'node:test';
import { dnsmasqArgs } from './dnsmasq-args.js';

it('dnsmasq serves DHCP reservations and NAME.skiff on the bridge address alone, reading no system config', () => {
  const args = dnsmasqArgs(
    { bridge: 'skiffbr0', gateway: '10.42.7.1', subnet: '10.42.7.0/24', domain: 'skiff' },
    {
      pidFile: '/d/network/dnsmasq.pid',
      leaseFile: '/d/network/dnsmasq.leases',
      hostsFile: '/run/skiff/n/dhcp-hosts',
      addnHostsFile: '/run/skiff/n/hosts',
      resolvFile: '/etc/resolv.conf',
    },
  );
  assert.deepEqual(args, [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--log-facility=-',
    '--pid-file=/d/network/dnsmasq.pid',
    '--bind-interfaces',
    '--interface=skiffbr0',
    '--except-interface=lo',
    '--listen-address=10.42.7.1',
    '--domain=skiff',
    '--local=/skiff/',
    '--domain-needed',
    '--no-hosts',
    '--resolv-file=/etc/resolv.conf',
    '--addn-hosts=/run/skiff/n/hosts',
    '--dhcp-hostsfile=/run/skiff/n/dhcp-hosts',
    '--dhcp-range=10.42.7.0,static,255.255.255.0,1h',
    '--dhcp-leasefile=/d/network/dnsmasq.leases',
    '--dhcp-authoritative',
  ]);
});

it('the DHCP range carries the netmask of other prefix lengths', () => {
  const paths = { pidFile: 'p', leaseFile: 'l', hostsFile: 'h', addnHostsFile: 'a', resolvFile: 'r' };
  const config = { bridge: 'b', gateway: '172.20.0.1', subnet: '172.20.0.0/20', domain: 'skiff' };
  assert.ok(dnsmasqArgs(config, paths).includes('--dhcp-range=172.20.0.0,static,255.255.240.0,1h'));
});
