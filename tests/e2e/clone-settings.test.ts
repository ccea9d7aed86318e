/**
 * End to end: `clone` and the per-instance settings `local.NAME.cpus|memory|disk`, on a real skiffd and the test
 * image under QEMU. Three boots: the source's launch; the source again after its settings changed and a clone
 * was taken (the settings took effect, and the source is untouched: same instance-id, hostname and data); the
 * clone after the source was purged (its own hostname, instance-id and MAC, the source's data, a disk that
 * needs nothing of the source).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceInfoJson } from '../../src/api/contract.js';
import { MirrorBed } from '../harness/mirror-bed.js';
import type { SkiffDaemon } from '../harness/skiff-process.js';

const SRC = 'src';
const CLONE = 'src-clone1';
const BOOT_MS = 600_000;

describe('clone and per-instance settings', { timeout: 30 * 60_000 }, () => {
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;
  /** What the source's guest said at its first boot. */
  let first: { id: string; mac: string };

  const ok = async (args: string[], timeoutMs?: number): Promise<string> => {
    const result = await daemon.cli(args, { timeoutMs });
    assert.equal(result.code, 0, `skiff ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const guest = async (name: string, command: string): Promise<string> =>
    (await ok(['exec', name, '--', 'sh', '-c', command])).trim();
  const info = async (name: string): Promise<InstanceInfoJson> =>
    (JSON.parse(await ok(['info', name, '--format', 'json'])) as { info: Record<string, InstanceInfoJson> })
      .info[name]!;
  const get = async (key: string): Promise<string> => (await ok(['get', key])).trim();
  /** A refused command: its stderr, after checking it failed. */
  const refused = async (args: string[]): Promise<string> => {
    const result = await daemon.cli(args);
    assert.notEqual(result.code, 0, `skiff ${args.join(' ')} should fail: ${result.stdout}`);
    return result.stderr;
  };
  const guestMemoryBytes = async (name: string) => Number((await info(name)).memory.total);
  const guestDiskBytes = async (name: string) =>
    Number(Object.values((await info(name)).disks)[0]?.total ?? Number.NaN);
  const identity = (name: string) =>
    guest(
      name,
      'cat /var/lib/cloud/data/instance-id; hostname; cat /sys/class/net/eth0/address; cat /home/ubuntu/marker',
    );

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-clone-');
    daemon = await bed.startDaemon();
    await ok(['launch', 'noble', '-n', SRC, '-m', '512M', '-d', '1G'], BOOT_MS);
  });

  after(async () => {
    await bed?.stop(daemon, [SRC, CLONE]);
  });

  test('a running instance: no settings change, no clone (Multipass words), nothing changed', async () => {
    await guest(SRC, 'echo made-on-the-source > /home/ubuntu/marker');
    const [id, hostname, mac, marker] = (await identity(SRC)).split('\n');
    assert.equal(hostname, SRC);
    assert.equal(marker, 'made-on-the-source');
    first = { id: id!, mac: mac! };
    assert.match(
      await refused(['set', `local.${SRC}.cpus=2`]),
      /Cannot update instance settings; instance: src; reason: Instance must be stopped for modification/,
    );
    assert.match(await refused(['clone', SRC]), /can only clone stopped instances/);
    assert.equal(await get(`local.${SRC}.cpus`), '1');
    assert.doesNotMatch(await ok(['list']), /clone/);
  });

  test('a stopped instance: bad values are refused, nothing changed', async () => {
    await ok(['stop', SRC]);
    assert.match(await refused(['set', `local.${SRC}.disk=512M`]), /Invalid setting 'local\.src\.disk=512M'/);
    assert.match(
      await refused(['set', `local.${SRC}.memory=1CiG`]),
      /Invalid setting 'local\.src\.memory=1CiG'/,
    );
    assert.match(await refused(['set', `local.${SRC}.cpus=0`]), /Invalid setting 'local\.src\.cpus=0'/);
    assert.match(await refused(['set', 'local.nosuch.cpus=2']), /instance: nosuch; reason: No such instance/);
    assert.match(await refused(['clone', SRC, '-n', 'Bad_Name']), /invalid instance name/i);
    assert.deepEqual(
      [await get(`local.${SRC}.cpus`), await get(`local.${SRC}.memory`), await get(`local.${SRC}.disk`)],
      ['1', '512M', '1G'],
    );
  });

  test('cpus, memory and disk change while stopped, the disk never shrinks, `get` and `get --keys` show them', async () => {
    await ok(['set', `local.${SRC}.cpus=2`]);
    await ok(['set', `local.${SRC}.memory=768M`]);
    await ok(['set', `local.${SRC}.disk=2G`]);
    assert.match(
      await refused(['set', `local.${SRC}.disk=1.5G`]),
      /Invalid setting 'local\.src\.disk=1\.5G': Disk can only be expanded/,
    );
    assert.deepEqual(
      [await get(`local.${SRC}.cpus`), await get(`local.${SRC}.memory`), await get(`local.${SRC}.disk`)],
      ['2', '768M', '2G'],
    );
    const keys = (await ok(['get', '--keys'])).trim().split('\n');
    for (const property of ['bridged', 'cpus', 'disk', 'memory'])
      assert.ok(keys.includes(`local.${SRC}.${property}`), property);
    assert.equal(await get(`local.${SRC}.bridged`), 'false');
  });

  test('clone: Multipass words, the clone listed stopped beside its source', async () => {
    assert.equal(await ok(['clone', SRC]), `Cloned from ${SRC} to ${CLONE}.\n`);
    const list = await ok(['list', '--format', 'json']);
    const states = Object.fromEntries(
      (JSON.parse(list) as { list: Array<{ name: string; state: string }> }).list.map((i) => [
        i.name,
        i.state,
      ]),
    );
    assert.deepEqual(states, { [SRC]: 'Stopped', [CLONE]: 'Stopped' });
    assert.equal(await get(`local.${CLONE}.cpus`), '2');
    assert.match(await refused(['clone', SRC, '-n', CLONE]), /already exists/);
  });

  test('the source boots with its new sizes, and as itself: same instance-id, hostname, MAC and data', async () => {
    await ok(['start', SRC], BOOT_MS);
    const [id, hostname, mac, marker] = (await identity(SRC)).split('\n');
    assert.deepEqual([id, hostname, mac, marker], [first.id, SRC, first.mac, 'made-on-the-source']);
    assert.equal(await guest(SRC, 'grep -c ^processor /proc/cpuinfo'), '2');
    assert.equal((await info(SRC)).cpu_count, '2');
    // What the guest sees: a little less than the VM has (the kernel keeps some), far more than 512M.
    const memory = await guestMemoryBytes(SRC);
    assert.ok(memory > 640 * 2 ** 20 && memory <= 768 * 2 ** 20, `memory total ${memory}`);
    // The root filesystem grew into the 2G disk at this boot.
    const disk = await guestDiskBytes(SRC);
    assert.ok(disk > 1.5 * 2 ** 30 && disk <= 2 * 2 ** 30, `disk total ${disk}`);
    await ok(['stop', SRC]);
  });

  test('with its source purged, the clone boots as a new machine holding the source data', async () => {
    await ok(['delete', '--purge', SRC]);
    await ok(['start', CLONE], BOOT_MS);
    const [id, hostname, mac, marker] = (await identity(CLONE)).split('\n');
    assert.equal(hostname, CLONE);
    assert.notEqual(id, first.id);
    assert.match(id!, new RegExp(`^${CLONE}-`));
    assert.notEqual(mac, first.mac);
    assert.equal(marker, 'made-on-the-source');
    assert.equal(await guest(CLONE, 'grep -c ^processor /proc/cpuinfo'), '2');
    const disk = await guestDiskBytes(CLONE);
    assert.ok(disk > 1.5 * 2 ** 30, `disk total ${disk}`);
    await ok(['delete', '--purge', CLONE]);
    assert.doesNotMatch(await ok(['list']), /src/);
  });
});
