/**
 * @module `skiff networks` and `launch --network` against a real skiffd inside a network namespace the test
 * makes (nothing of the machine's own network changes): a bridge `br0` with a veth port, a free veth and the
 * namespace's own veth link are listed as Multipass lists them; skiff's own bridge and a tap are not; an
 * interface added later shows at once. A launch naming an interface that is not usable, an unset or wrong
 * `local.bridged-network`, or a malformed `--network` fails with a clear error and leaves nothing: no record,
 * no image fetched from the mirror, nothing in the vault. (The boot with a NIC on br0 needs the driver's taps.)
 * Skips with a reason when namespaces are unavailable, but fails under CI.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mirrorTree } from '../harness/mirror-fixture.js';
import { TestNetwork } from '../harness/netns.js';
import { SkiffDaemon } from '../harness/skiff-process.js';

const EXPECTED = [
  { name: 'br0', type: 'bridge', description: 'Network bridge with uplink0' },
  { name: 'uplink0-p', type: 'ethernet', description: 'Virtual Ethernet device' },
  { name: 'veth0', type: 'ethernet', description: 'Virtual Ethernet device' },
];

/** Files under `dir`, recursively (an absent dir has none). */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('networks and --network in a network namespace', { skip: TestNetwork.skipReason() }, () => {
  it('lists bridges and ethernet devices; a bad --network fails before anything is made', async () => {
    const net = new TestNetwork();
    let daemon: SkiffDaemon | undefined;
    try {
      await net.start();
      await net.startServices({ mirrorTree: mirrorTree() });
      await net.up();
      for (const command of [
        'link add br0 type bridge',
        'link add uplink0 type veth peer name uplink0-p',
        'link set uplink0 master br0',
        // skiff's own bridge with a guest's tap: never offered.
        'link add skiffbr0 type bridge',
        'tuntap add dev tap0 mode tap',
        'link set tap0 master skiffbr0',
      ])
        await net.execInClient(['ip', ...command.split(' ')]);
      daemon = await SkiffDaemon.start({
        mirror: `http://images.test:${net.mirrorPort}/`,
        spawnWith: (argv, env) => net.runInClient(argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
      });
      const d = daemon;

      const json = await d.cli(['networks', '--format', 'json']);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), { list: EXPECTED });
      const table = await d.cli(['networks']);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(
        table.stdout,
        [
          'Name       Type      Description',
          'br0        bridge    Network bridge with uplink0',
          'uplink0-p  ethernet  Virtual Ethernet device',
          'veth0      ethernet  Virtual Ethernet device',
          '',
        ].join('\n'),
      );
      const csv = await d.cli(['networks', '--format', 'csv']);
      assert.equal(csv.stdout.split('\n')[0], 'Name,Type,Description');

      // Read afresh on each call: a bridge made now is listed now.
      await net.execInClient(['ip', 'link', 'add', 'br1', 'type', 'bridge']);
      const later = await d.cli(['networks', '--format', 'json']);
      assert.deepEqual(
        (JSON.parse(later.stdout) as { list: Array<{ name: string }> }).list.map((n) => n.name),
        ['br0', 'br1', 'uplink0-p', 'veth0'],
      );

      // A launch on an interface that is not usable: exit 2, the name and the way to find good ones.
      const requestsBefore = net.mirrorRequests.length;
      for (const [args, code, words] of [
        [['--network', 'name=nosuch'], 2, /--network nosuch: no usable host interface named "nosuch"/],
        [['--network', 'tap0'], 2, /no usable host interface named "tap0"/],
        [['--network', 'skiffbr0'], 2, /no usable host interface named "skiffbr0"/],
        [['--network', 'uplink0'], 2, /no usable host interface named "uplink0"/],
        [
          ['--bridged'],
          2,
          /You have to `skiff set local\.bridged-network=<name>` to use the "bridged" shortcut\./,
        ],
        [['--network', 'name=br0,mode=dhcp'], 1, /--network name=br0,mode=dhcp: bad mode "dhcp"/],
        [['--network', 'name=br0,colour=red'], 1, /unknown key "colour"/],
        [['--network', 'name=br0,mac=01:00:5e:00:00:01'], 1, /multicast/],
      ] as const) {
        const result = await d.cli(['launch', 'noble', '-n', 'netty', ...args], { timeoutMs: 30_000 });
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, words, args.join(' '));
      }
      const set = await d.cli(['set', 'local.bridged-network=nosuch0']);
      assert.equal(set.code, 0, set.stderr);
      const bridged = await d.cli(['launch', 'noble', '--bridged'], { timeoutMs: 30_000 });
      assert.equal(bridged.code, 2, bridged.stderr);
      assert.match(
        bridged.stderr,
        /Invalid network "nosuch0" set as bridged interface, use `skiff set local\.bridged-network=<name>` to correct\. See `skiff networks` for valid names\./,
      );

      // Nothing was made: no instance, no image asked of the mirror, nothing in the vault or instances dirs.
      const list = await d.cli(['list', '--format', 'json']);
      assert.deepEqual(JSON.parse(list.stdout), { list: [] });
      const imageRequests = net.mirrorRequests
        .slice(requestsBefore)
        .filter((r) => !r.path.includes('/streams/'));
      assert.deepEqual(imageRequests, [], 'no image was fetched');
      assert.deepEqual(await files(join(d.dataDir, 'vault', 'images')), []);
      assert.deepEqual(await files(join(d.dataDir, 'vault', 'partial')), []);
      assert.deepEqual(await files(join(d.dataDir, 'instances')), []);
      assert.deepEqual(await files(join(d.dataDir, 'guests')), []);
    } finally {
      if (daemon) await daemon.stop();
      await net.stop();
    }
  });
});
