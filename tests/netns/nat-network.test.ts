/**
 * End to end, skiff's NAT network for real: skiffd (NAT mode) inside a network namespace this test made, with
 * the test image served from a second namespace. Two instances get distinct addresses from skiff's dnsmasq;
 * the namespace reaches a server in a guest by IP; a guest reaches the other by `NAME.skiff`; stop/start
 * keeps MAC and address; a daemon killed with -9 comes back to guests that kept their network and re-adopts
 * dnsmasq; `skiffd --remove-network` leaves no bridge, table or dnsmasq. Nothing here touches the machine's
 * own network: every process that sees the bridge runs in the test's namespace.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NatTestBed } from '../harness/nat-testbed.js';
import { TestNetwork } from '../harness/netns.js';
import { waitFor } from '../harness/ns-process.js';
import type { SkiffDaemon } from '../harness/skiff-process.js';
import { SKIFFD, type CliResult } from '../harness/skiff-process.js';

interface ListEntry {
  name: string;
  state: string;
  ipv4: string[];
}

const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

describe('NAT network in a namespace', { skip: TestNetwork.skipReason(), timeout: 25 * 60_000 }, () => {
  let bed: NatTestBed;
  let net: TestNetwork;
  let daemon: SkiffDaemon | undefined;

  const start = (dataDir: string) => bed.startDaemon(dataDir);
  const list = async (): Promise<ListEntry[]> => {
    const result = await daemon!.cli(['list', '--format', 'json']);
    ok(result, 'list');
    return (JSON.parse(result.stdout) as { list: ListEntry[] }).list;
  };
  const addressOf = async (name: string): Promise<string> => {
    let address = '';
    await waitFor(
      async () => {
        address = (await list()).find((i) => i.name === name)?.ipv4[0] ?? '';
        return address !== '';
      },
      { timeoutMs: 60_000, what: `an address for ${name} in list` },
    );
    return address;
  };
  const inGuest = async (name: string, command: string): Promise<CliResult> =>
    // exec's ssh runs on the caller's side: the caller must be where the bridge is.
    bed.cli(daemon!, ['exec', name, '--', 'sh', '-c', command]);
  // The namespace shares the machine's pid namespace: count only the dnsmasq processes in its network.
  const dnsmasqPids = async (): Promise<number[]> => bed.processes('dnsmasq');

  before(async () => {
    bed = await NatTestBed.start('skiff-nat-');
    net = bed.net;
    daemon = await start(join(bed.work, 'data'));
  });

  after(async () => {
    await bed?.stop(daemon);
  });

  test('two instances get distinct addresses on the bridge; the host side reaches a guest by IP', async () => {
    for (const name of ['alpha', 'beta'])
      ok(
        await daemon!.cli(['launch', 'noble', '-n', name, '-m', '512M', '-d', '1G'], { timeoutMs: 600_000 }),
        name,
      );
    const [alpha, beta] = [await addressOf('alpha'), await addressOf('beta')];
    assert.notEqual(alpha, beta);
    // Neither collides with the namespace's own 10.200.0.0/16 addresses.
    for (const address of [alpha, beta]) assert.doesNotMatch(address, /^10\.200\./);
    const info = JSON.parse((await daemon!.cli(['info', 'alpha', '--format', 'json'])).stdout) as {
      info: Record<string, { ipv4: string[]; network_mode: string }>;
    };
    assert.equal(info.info['alpha']?.ipv4[0], alpha);
    assert.equal(info.info['alpha']?.network_mode, 'nat');
    ok(
      await inGuest(
        'alpha',
        'mkdir -p /var/tmp/www && echo hello-from-alpha > /var/tmp/www/index.html && ' +
          'busybox httpd -p 8080 -h /var/tmp/www',
      ),
      'httpd',
    );
    const body = await net.execInClient(['curl', '-sS', '--max-time', '10', `http://${alpha}:8080/`]);
    assert.equal(body.trim(), 'hello-from-alpha');
  });

  test('a guest reaches another by NAME.skiff', async () => {
    const fetched = await inGuest('beta', 'wget -q -O - http://alpha.skiff:8080/');
    ok(fetched, 'wget alpha.skiff from beta');
    assert.equal(fetched.stdout.trim(), 'hello-from-alpha');
  });

  test('stop and start keep the MAC and the address', async () => {
    const before = await addressOf('beta');
    const mac = async () => (await inGuest('beta', 'cat /sys/class/net/eth0/address')).stdout.trim();
    const macBefore = await mac();
    ok(await daemon!.cli(['stop', 'beta']), 'stop');
    ok(await daemon!.cli(['start', 'beta'], { timeoutMs: 300_000 }), 'start');
    assert.equal(await addressOf('beta'), before);
    assert.equal(await mac(), macBefore);
  });

  test('kill -9 of skiffd: guests keep their network, and the new daemon re-adopts dnsmasq', async () => {
    const alpha = await addressOf('alpha');
    const dnsmasqBefore = await dnsmasqPids();
    assert.equal(dnsmasqBefore.length, 1, `one dnsmasq: ${dnsmasqBefore.join(' ')}`);
    const dataDir = daemon!.dataDir;
    await daemon!.signal('SIGKILL');
    // With no daemon at all, the guest still answers on its address.
    const body = await net.execInClient(['curl', '-sS', '--max-time', '10', `http://${alpha}:8080/`]);
    assert.equal(body.trim(), 'hello-from-alpha');
    daemon = await start(dataDir);
    assert.equal(await addressOf('alpha'), alpha);
    ok(await inGuest('beta', 'wget -q -O - http://alpha.skiff:8080/'), 'name resolution after the restart');
    assert.deepEqual(await dnsmasqPids(), dnsmasqBefore);
  });

  test('launch --network on a bridge made in the namespace: a second NIC with the given MAC on that bridge', async () => {
    await net.execInClient(['ip', 'link', 'add', 'br1', 'type', 'bridge']);
    await net.execInClient(['ip', 'link', 'set', 'br1', 'up']);
    const networks = JSON.parse((await daemon!.cli(['networks', '--format', 'json'])).stdout) as {
      list: Array<{ name: string; type: string }>;
    };
    assert.ok(
      networks.list.some((n) => n.name === 'br1' && n.type === 'bridge'),
      JSON.stringify(networks),
    );
    const launched = await daemon!.cli(
      [
        'launch',
        'noble',
        '-n',
        'gamma',
        '-m',
        '512M',
        '-d',
        '1G',
        '--network',
        'name=br1,mode=manual,mac=52:54:00:aa:bb:01',
      ],
      { timeoutMs: 600_000 },
    );
    ok(launched, 'launch --network');
    const ports = await net.execInClient(['ip', '-o', 'link', 'show', 'master', 'br1']);
    assert.match(ports, /sk[0-9a-f]{8}t1/, 'the second NIC is a tap on br1');
    const macs = await inGuest('gamma', 'cat /sys/class/net/*/address');
    assert.match(macs.stdout, /52:54:00:aa:bb:01/);
    ok(await daemon!.cli(['delete', '--purge', 'gamma']), 'delete gamma');
    assert.doesNotMatch(
      await net.execInClient(['ip', '-o', 'link', 'show', 'master', 'br1']),
      /sk[0-9a-f]{8}t/,
    );
  });

  test('skiffd --remove-network removes the bridge, the table and dnsmasq once no instance uses them', async () => {
    for (const name of ['alpha', 'beta'])
      ok(await daemon!.cli(['delete', '--purge', name]), `delete ${name}`);
    const dataDir = daemon!.dataDir;
    await daemon!.stop({ keepData: true });
    daemon = undefined;
    await net.execInClient([SKIFFD, '--data-dir', dataDir, '--remove-network'], { timeoutMs: 30_000 });
    const links = await net.execInClient(['ip', '-o', 'link', 'show']);
    assert.doesNotMatch(links, /skiffbr0|sk[0-9a-f]{8}t/);
    const tables = await net.execInClient(['nft', 'list', 'tables']);
    assert.doesNotMatch(tables, /skiff/);
    assert.deepEqual(await dnsmasqPids(), []);
  });
});
