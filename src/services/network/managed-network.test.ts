import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SkiffError } from '../../core/errors.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { ManagedNetworkService, type ManagedNetworkOptions } from './managed-network.js';
import type {
  BridgeLink,
  DnsDhcpConfig,
  DnsDhcpOutcome,
  DnsDhcpServer,
  HostPrefix,
  NatFirewall,
  Reservation,
} from './ports.js';
import { parseCidr, type Subnet } from './subnet.js';

class FakeDns implements DnsDhcpServer {
  pid: number | null = null;
  nextPid = 100;
  config: DnsDhcpConfig | null = null;
  reservations: readonly Reservation[] = [];
  starts: string[] = [];
  async ensure(config: DnsDhcpConfig): Promise<DnsDhcpOutcome> {
    if (this.pid !== null && JSON.stringify(config) === JSON.stringify(this.config)) {
      return { action: 'adopted', pid: this.pid };
    }
    const why = this.pid === null ? 'it was not running' : 'its configuration changed';
    this.config = config;
    this.pid = this.nextPid++;
    this.starts.push(why);
    return { action: 'started', pid: this.pid, why };
  }
  async running() {
    return this.pid;
  }
  async setReservations(reservations: readonly Reservation[]) {
    this.reservations = reservations;
  }
  async leases() {
    return new Map([['52:54:00:00:00:01', ['10.0.0.2']]]);
  }
  async stop() {
    const pid = this.pid;
    this.pid = null;
    return pid;
  }
}

class FakeBridge implements BridgeLink {
  address: string | null = null;
  ports_: string[] = [];
  async ensure(_name: string, address: string) {
    const created = this.address === null;
    const readdressed = !created && this.address !== address;
    this.address = address;
    return { created, readdressed };
  }
  async exists() {
    return this.address !== null;
  }
  async ports() {
    return this.ports_;
  }
  async remove() {
    const had = this.address !== null;
    this.address = null;
    return had;
  }
}

class FakeNat implements NatFirewall {
  applied: { bridge: string; subnet: string } | null = null;
  async apply(config: { bridge: string; subnet: string }) {
    this.applied = config;
  }
  async remove() {
    const had = this.applied !== null;
    this.applied = null;
    return had;
  }
}

const cidrs = (...list: string[]): Subnet[] => list.map((c) => parseCidr(c) as Subnet);
const mac = (n: number): string => `52:54:00:00:00:0${n}`;

describe('ManagedNetworkService', () => {
  let dir: string;
  let used: HostPrefix[];
  let dns: FakeDns;
  let bridge: FakeBridge;
  let nat: FakeNat;
  let clock: FakeClock;
  let logs: { level: string; msg: string }[];
  const make = (extra: Partial<ManagedNetworkOptions> = {}) =>
    new ManagedNetworkService({
      dir,
      host: { usedPrefixes: async () => used },
      bridgeLink: bridge,
      dns,
      nat,
      clock,
      candidates: cidrs('10.1.1.0/24', '10.1.2.0/24', '10.2.0.0/24'),
      superviseIntervalMs: 1000,
      log: {
        info: (_o, msg) => logs.push({ level: 'info', msg }),
        warn: (_o, msg) => logs.push({ level: 'warn', msg }),
        error: (_o, msg) => logs.push({ level: 'error', msg }),
      },
      ...extra,
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-net-unit-'));
    used = [{ cidr: '192.0.2.2/24', dev: 'eth0', kind: 'address' }];
    dns = new FakeDns();
    bridge = new FakeBridge();
    nat = new FakeNat();
    clock = new FakeClock();
    logs = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('ensure picks the first free subnet, brings everything up and persists the choice', async () => {
    used.push({ cidr: '10.1.0.0/16', dev: 'tun0', kind: 'route' }, { cidr: '10.1.2.9/32', kind: 'route' });
    const net = make();
    assert.deepEqual(await net.ensure(), { bridge: 'skiffbr0' });
    assert.equal(bridge.address, '10.2.0.1/24');
    assert.deepEqual(nat.applied, { bridge: 'skiffbr0', subnet: '10.2.0.0/24' });
    assert.deepEqual(dns.config, {
      bridge: 'skiffbr0',
      gateway: '10.2.0.1',
      subnet: '10.2.0.0/24',
      domain: 'skiff',
    });
    const saved = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as {
      data: { subnet: string };
    };
    assert.equal(saved.data.subnet, '10.2.0.0/24');
    // The next daemon keeps it, even though the host's routes would now make it pick another.
    used.push({ cidr: '10.2.0.0/16', dev: 'tun1', kind: 'route' });
    const next = make();
    await next.ensure();
    assert.deepEqual(await next.status(), {
      bridge: 'skiffbr0',
      subnet: '10.2.0.0/24',
      gateway: '10.2.0.1',
      dnsmasqPid: 100,
      reservations: 0,
    });
    assert.deepEqual(dns.starts, ['it was not running'], 'the second one adopted dnsmasq');
    net.close();
    next.close();
  });

  it("the bridge's own address and route do not count as taken", async () => {
    used.push({ cidr: '10.1.1.1/24', dev: 'skiffbr0', kind: 'address' });
    const net = make();
    await net.ensure();
    assert.equal(bridge.address, '10.1.1.1/24');
    net.close();
  });

  it('an explicit subnet that overlaps the host is refused, naming local.subnet, before anything is made', async () => {
    used.push({ cidr: '172.20.0.0/16', dev: 'eth1', kind: 'route' });
    const net = make({ subnet: '172.20.5.0/24' });
    await assert.rejects(
      net.ensure(),
      (e: unknown) =>
        e instanceof SkiffError &&
        e.code === 'invalid-argument' &&
        /^local\.subnet: 172\.20\.5\.0\/24 overlaps 172\.20\.0\.0\/16 \(a route on eth1\)/.test(e.message),
    );
    assert.equal(bridge.address, null);
    assert.throws(() => make({ subnet: '8.8.8.0/24' }), /local\.subnet: .* not private/);
    assert.throws(
      () => make({ bridge: 'br"0' }),
      /^SkiffError: bridge: "br"0" is not a usable interface name/,
    );
    assert.throws(() => make({ bridge: 'sixteen-chars-xx' }), /bridge: /);
  });

  it('reserve is stable across daemons, release frees, and dnsmasq gets every change', async () => {
    const net = make();
    const a = await net.reserve('a', '52:54:00:00:00:0A');
    assert.equal(a, '10.1.1.2');
    assert.equal(await net.reserve('b', mac(2)), '10.1.1.3');
    assert.equal(await net.reserve('a', '52:54:00:00:00:0a'), a);
    assert.deepEqual(
      dns.reservations.map((r) => [r.name, r.mac, r.ipv4]),
      [
        ['a', '52:54:00:00:00:0a', '10.1.1.2'],
        ['b', mac(2), '10.1.1.3'],
      ],
    );
    const next = make();
    assert.equal(await next.reserve('b', mac(2)), '10.1.1.3');
    await next.release('a');
    await next.release('a');
    assert.deepEqual(
      dns.reservations.map((r) => r.name),
      ['b'],
    );
    assert.equal(await next.reserve('c', mac(3)), '10.1.1.2');
    await assert.rejects(next.reserve('bad name', mac(4)), /^SkiffError: name: /);
    assert.deepEqual(await next.leases(), new Map([['52:54:00:00:00:01', ['10.0.0.2']]]));
  });

  it('changing local.subnet moves the bridge and keeps host numbers of reservations', async () => {
    const net = make();
    await net.ensure();
    await net.reserve('a', mac(1));
    net.close();
    const moved = make({ subnet: '192.168.50.0/24' });
    assert.equal(await moved.reserve('a', mac(1)), '192.168.50.2');
    await moved.ensure();
    assert.equal(bridge.address, '192.168.50.1/24');
    assert.deepEqual(
      dns.starts,
      ['it was not running', 'it was not running'],
      'restarted after re-addressing',
    );
    moved.close();
  });

  it('the supervisor restarts a dead dnsmasq on its interval, saying why, and stops on close', async () => {
    const net = make();
    await net.ensure();
    assert.deepEqual(clock.pendingDelays(), [1000]);
    await clock.advance(1000);
    assert.equal(dns.starts.length, 1, 'alive: adopted, not restarted');
    dns.pid = null;
    await clock.advance(1000);
    assert.equal(dns.pid, 101);
    assert.deepEqual(
      logs.filter((l) => l.level === 'warn').map((l) => l.msg),
      ['restarted dnsmasq: it was not running'],
    );
    net.close();
    dns.pid = null;
    await clock.advance(5000);
    assert.equal(dns.pid, null);
    assert.deepEqual(clock.pendingDelays(), []);
  });

  it('teardown refuses while links are on the bridge, then removes everything but the reservations', async () => {
    const net = make();
    await net.ensure();
    await net.reserve('a', mac(1));
    bridge.ports_ = ['tap-a'];
    await assert.rejects(
      net.teardown(),
      (e: unknown) =>
        e instanceof SkiffError && e.code === 'conflict' && /tap-a attached to skiffbr0/.test(e.message),
    );
    assert.notEqual(dns.pid, null);
    bridge.ports_ = [];
    assert.deepEqual(await net.teardown(), [
      'dnsmasq (pid 100)',
      'bridge skiffbr0',
      'nftables table of skiff',
    ]);
    assert.deepEqual(clock.pendingDelays(), [], 'no supervisor left');
    assert.deepEqual(await net.teardown(), []);
    assert.equal(await make().reserve('a', mac(1)), '10.1.1.2', 'the reservation survived');
  });
});
