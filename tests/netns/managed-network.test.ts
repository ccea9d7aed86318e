/**
 * @module skiff's managed NAT network for real, inside namespaces the test makes (tests/harness/bridge-netns.ts):
 * ensure() makes the bridge, dnsmasq and the nftables table; a guest (a veth on the bridge, busybox udhcpc with
 * the reserved MAC) gets exactly its reserved address, which leases() shows, and resolves `NAME.skiff` (also a
 * name with no lease yet); a second runner (a daemon restart after kill -9) re-adopts the same dnsmasq; a killed
 * dnsmasq is restarted by the supervisor; `skiffd --remove-network` refuses while a guest is on the bridge and
 * then leaves no bridge, table or dnsmasq. A namespace whose routes already cover the first candidate subnet
 * gets another one. An existing bridge is adopted (its stale address replaced), a skiffbr0 that is no bridge
 * refused. Skips with a reason when namespaces or tools are unavailable, but fails under CI.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SKIFFD } from '../harness/skiff-process.js';
import { BridgeNamespace, bridgeSkipReason, waitFor, type Guest } from '../harness/bridge-netns.js';
import type { NetworkStatus } from '../../src/services/network/managed-network.js';
import {
  formatSubnet,
  overlaps,
  parseCidr,
  subnetCandidates,
  type Subnet,
} from '../../src/services/network/subnet.js';

const WEB_MAC = '52:54:00:5a:00:01';
const DB_MAC = '52:54:00:5a:00:02';
const FIRST = subnetCandidates('skiffbr0')[0] as Subnet;

/**
 * Names of the live processes in the namespace (its own /proc). Zombies are left out: the namespace's init is
 * `sleep`, which never reaps the orphans (a dnsmasq killed after its runner died) a real init would.
 */
async function processNames(ns: BridgeNamespace): Promise<string[]> {
  const out = await ns.exec(['sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']);
  return out
    .split('\n')
    .map((line) => /^\d+ \((.*)\) (\S)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2] !== 'Z')
    .map((m) => m[1] as string);
}

/** `skiffd --remove-network` run inside the namespace: exit code and output. */
function removeNetwork(
  ns: BridgeNamespace,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = ns.spawnInside([SKIFFD, '--remove-network', '--data-dir', ns.dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('managed NAT network in a namespace', { skip: bridgeSkipReason() }, () => {
  const namespaces: BridgeNamespace[] = [];
  after(async () => {
    for (const ns of namespaces) await ns.stop();
  });

  it('bridge, dnsmasq and nft table; reserved DHCP and DNS; re-adoption; supervision; removal', async () => {
    const ns = new BridgeNamespace();
    namespaces.push(ns);
    await ns.start();
    let runner = await ns.runner();

    // ensure(): the first candidate (nothing in this namespace collides), everything up.
    assert.deepEqual(await runner.send({ op: 'ensure' }), { bridge: 'skiffbr0' });
    const status = await runner.send<NetworkStatus>({ op: 'status' });
    assert.equal(status.subnet, formatSubnet(FIRST));
    const gateway = status.gateway as string;
    const link = JSON.parse(await ns.exec(['ip', '-j', '-d', 'addr', 'show', 'dev', 'skiffbr0'])) as Array<{
      linkinfo: { info_kind: string };
      addr_info: Array<{ family: string; local: string; prefixlen: number }>;
    }>;
    assert.equal(link[0]?.linkinfo.info_kind, 'bridge');
    assert.deepEqual(
      link[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      [`${gateway}/24`],
    );
    const table = await ns.exec(['nft', 'list', 'table', 'ip', 'skiff']);
    assert.match(table, new RegExp(`ip saddr ${status.subnet} ip daddr != ${status.subnet} .*masquerade`));
    assert.match(table, /iifname "skiffbr0" accept/);
    assert.equal((await ns.exec(['cat', '/proc/sys/net/ipv4/ip_forward'])).trim(), '1');
    const pid = status.dnsmasqPid as number;
    assert.ok(pid > 1, JSON.stringify(status));
    const cmdline = await ns.exec(['cat', `/proc/${pid}/cmdline`]);
    assert.match(cmdline, /dnsmasq\0.*--interface=skiffbr0\0/);
    // A second ensure changes nothing.
    await runner.send({ op: 'ensure' });
    assert.equal((await runner.send<NetworkStatus>({ op: 'status' })).dnsmasqPid, pid);

    // Reservations: stable, distinct.
    const webIp = await runner.send<string>({ op: 'reserve', name: 'web', mac: WEB_MAC });
    assert.equal(await runner.send<string>({ op: 'reserve', name: 'web', mac: WEB_MAC }), webIp);
    const dbIp = await runner.send<string>({ op: 'reserve', name: 'db', mac: DB_MAC });
    assert.notEqual(dbIp, webIp);
    assert.ok(overlaps(parseCidr(webIp) as Subnet, FIRST) && overlaps(parseCidr(dbIp) as Subnet, FIRST));

    // A guest with web's MAC gets exactly web's address; the lease shows; names resolve (db before any lease).
    const guest: Guest = await ns.addGuest('vweb', WEB_MAC);
    assert.equal(await guest.dhcp(), webIp);
    assert.deepEqual((await runner.send<Record<string, string[]>>({ op: 'leases' }))[WEB_MAC], [webIp]);
    assert.equal(await guest.lookup('web.skiff', gateway), webIp);
    assert.equal(await guest.lookup('db.skiff', gateway), dbIp);

    // kill -9 of the "daemon", then a new one: the same dnsmasq is re-adopted, the lease is still known.
    await runner.die();
    runner = await ns.runner();
    await runner.send({ op: 'ensure' });
    assert.equal((await runner.send<NetworkStatus>({ op: 'status' })).dnsmasqPid, pid);
    assert.deepEqual((await runner.send<Record<string, string[]>>({ op: 'leases' }))[WEB_MAC], [webIp]);
    assert.equal(await runner.send<string>({ op: 'reserve', name: 'db', mac: DB_MAC }), dbIp);

    // dnsmasq killed: the supervisor (100 ms interval here) starts another; DNS answers again.
    await ns.exec(['kill', '-9', String(pid)]);
    let restarted = 0;
    await waitFor(
      async () => {
        restarted = (await runner.send<NetworkStatus>({ op: 'status' })).dnsmasqPid ?? 0;
        return restarted > 0 && restarted !== pid;
      },
      { timeoutMs: 10_000, stepMs: 50, what: `a new dnsmasq after pid ${pid} was killed` },
    );
    // The log line comes on stderr, which may trail the status answer on stdout.
    await waitFor(() => /restarted dnsmasq: pid \d+ of its pidfile is gone/.test(runner.stderr), {
      timeoutMs: 5000,
      what: `the restart to be logged (stderr: ${runner.stderr})`,
    });
    assert.equal(await guest.lookup('web.skiff', gateway), webIp);

    // release: the name goes away (dnsmasq re-reads its files on SIGHUP).
    await runner.send({ op: 'release', name: 'db' });
    await waitFor(async () => (await guest.lookup('db.skiff', gateway)) === null, {
      timeoutMs: 5000,
      what: 'db.skiff to be gone',
    });

    // Removal: refused while the guest's port is on the bridge, then everything goes.
    await runner.close();
    const refused = await removeNetwork(ns);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /skiff's network is in use: vweb attached to skiffbr0/);
    assert.ok((await processNames(ns)).includes('dnsmasq'), 'nothing was removed');
    await ns.exec(['ip', 'link', 'del', 'vweb']);
    const removed = await removeNetwork(ns);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(
      removed.stdout,
      `removed dnsmasq (pid ${restarted})\nremoved bridge skiffbr0\nremoved nftables table of skiff\n`,
    );
    assert.deepEqual(JSON.parse(await ns.exec(['ip', '-j', 'link', 'show', 'type', 'bridge'])), []);
    assert.equal((await ns.exec(['nft', 'list', 'tables'])).trim(), '');
    assert.ok(!(await processNames(ns)).includes('dnsmasq'));
    assert.equal((await removeNetwork(ns)).stdout, "skiff's network: nothing to remove\n");
  });

  it('a namespace whose routes already cover the first candidate gets another subnet', async () => {
    const ns = new BridgeNamespace();
    namespaces.push(ns);
    // An address in the first candidate, as a /16: its route takes the candidate and its neighbours.
    const inFirst = `${formatSubnet(FIRST).replace(/\.0\/24$/, '.5')}/16`;
    await ns.start(
      `ip link add up0 type veth peer name up1 && ip addr add ${inFirst} dev up0 && ip link set up0 up`,
    );
    const runner = await ns.runner();
    await runner.send({ op: 'ensure' });
    const status = await runner.send<NetworkStatus>({ op: 'status' });
    const chosen = parseCidr(status.subnet as string) as Subnet;
    const taken = parseCidr(inFirst) as Subnet;
    assert.ok(!overlaps(chosen, taken), `${status.subnet} avoids ${formatSubnet(taken)}`);
    const expected = subnetCandidates('skiffbr0').find((c) => !overlaps(c, taken)) as Subnet;
    assert.equal(status.subnet, formatSubnet(expected));
    assert.deepEqual(await runner.send({ op: 'teardown' }), [
      `dnsmasq (pid ${status.dnsmasqPid})`,
      'bridge skiffbr0',
      'nftables table of skiff',
    ]);
    assert.ok(!(await processNames(ns)).includes('dnsmasq'));
    await runner.close();
  });

  it('adopts an existing bridge, fixing its address, and refuses a skiffbr0 that is no bridge', async () => {
    const ns = new BridgeNamespace();
    namespaces.push(ns);
    await ns.start('ip link add skiffbr0 type veth peer name other0');
    const runner = await ns.runner();
    await assert.rejects(
      runner.send({ op: 'ensure' }),
      /network-runner: conflict: skiffbr0 exists and is not a bridge \(it is veth\)/,
    );
    assert.deepEqual(JSON.parse(await ns.exec(['ip', '-j', 'link', 'show', 'type', 'bridge'])), []);
    await ns.exec(['ip', 'link', 'del', 'skiffbr0']);
    // A bridge left with a stale address (say, another subnet): adopted, its address replaced.
    await ns.exec(['ip', 'link', 'add', 'skiffbr0', 'type', 'bridge']);
    await ns.exec(['ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'skiffbr0']);
    const index = JSON.parse(await ns.exec(['ip', '-j', 'link', 'show', 'skiffbr0'])) as Array<{
      ifindex: number;
    }>;
    await runner.send({ op: 'ensure' });
    const status = await runner.send<NetworkStatus>({ op: 'status' });
    assert.equal(status.subnet, formatSubnet(FIRST), 'its own old address does not count as taken');
    const after = JSON.parse(await ns.exec(['ip', '-j', '-4', 'addr', 'show', 'dev', 'skiffbr0'])) as Array<{
      ifindex: number;
      operstate: string;
      addr_info: Array<{ local: string; prefixlen: number }>;
    }>;
    assert.equal(after[0]?.ifindex, index[0]?.ifindex, 'the same bridge, not a new one');
    assert.deepEqual(
      after[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`),
      [`${status.gateway}/24`],
    );
    await runner.send({ op: 'teardown' });
    await runner.close();
  });
});
