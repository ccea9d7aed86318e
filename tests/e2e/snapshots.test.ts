/**
 * End to end: snapshots of a test-image VM through the real skiff and skiffd. A disk-only snapshot of the
 * stopped instance and one with memory of the running instance; restoring the memory one brings back a process
 * that was killed after it; restoring the disk one drops a file written after it and keeps one written before.
 * Parents, counts, settings and the error cases ride along on the same instance (four boots in all).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceInfoJson } from '../../src/api/contract.js';
import { MirrorBed } from '../harness/mirror-bed.js';
import type { CliResult, SkiffDaemon } from '../harness/skiff-process.js';

const NAME = 'snap';
const BOOT_MS = 600_000;
/** A marker no other process of the guest has on its command line. */
const MARK = '31415926';

describe('snapshots and restore', { timeout: 40 * 60_000 }, () => {
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;

  const ok = (result: CliResult, what: string): CliResult => {
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);
    return result;
  };
  const skiff = (args: string[]) => daemon.cli(args, { timeoutMs: BOOT_MS });
  const guest = async (script: string): Promise<string> =>
    ok(await skiff(['exec', NAME, '--', 'sh', '-c', script]), script).stdout.trim();
  const exists = (file: string) => guest(`test -e ~/${file} && echo yes || echo no`);
  const listed = async () =>
    (
      JSON.parse(ok(await skiff(['list', '--snapshots', '--format', 'json']), 'list').stdout) as {
        info: Record<string, Record<string, { parent: string; comment: string }>>;
      }
    ).info[NAME] ?? {};
  const snapshotCount = async () =>
    (
      JSON.parse(ok(await skiff(['info', NAME, '--format', 'json']), 'info').stdout) as {
        info: Record<string, InstanceInfoJson>;
      }
    ).info[NAME]?.snapshot_count;

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-snapshots-');
    daemon = await bed.startDaemon();
    ok(await skiff(['launch', 'noble', '-n', NAME, '-m', '512M']), 'launch');
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
  });

  let pid = '';

  test('a stopped instance gets a disk-only snapshot; a running one a snapshot with memory, its child', async () => {
    await guest('echo before > ~/before.txt && sync');
    ok(await skiff(['stop', NAME]), 'stop');
    const disk = ok(await skiff(['snapshot', NAME, '--comment', 'clean']), 'snapshot');
    assert.equal(disk.stdout, `Snapshot taken: ${NAME}.snapshot1 (disk only)\n`);
    ok(await skiff(['start', NAME]), 'start');
    await guest('echo after > ~/after.txt && sync');
    pid = await guest(`setsid sleep ${MARK} </dev/null >/dev/null 2>&1 & echo $!`);
    assert.match(pid, /^\d+$/);
    const live = ok(await skiff(['snapshot', NAME, '-n', 'live', '-m', 'running']), 'snapshot running');
    assert.equal(live.stdout, `Snapshot taken: ${NAME}.live (disk and memory)\n`);
    assert.deepEqual(await listed(), {
      snapshot1: { parent: '', comment: 'clean' },
      live: { parent: 'snapshot1', comment: 'running' },
    });
    assert.equal(await snapshotCount(), '2');
    // The guest carried on after the save.
    assert.match(await guest(`cat /proc/${pid}/cmdline | tr '\\0' ' '`), new RegExp(MARK));
  });

  test('errors name the problem in Multipass’s words and change nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['restore', `${NAME}.missing`, '-d'], /No such snapshot: snap\.missing/],
      [['restore', `${NAME}.snapshot1`, '-d'], /disk-only snapshot of a stopped instance/],
      [['restore', `${NAME}.snapshot1`], /Use '--destructive'/],
      [['restore', NAME, '-d'], /Invalid format/],
      [['snapshot', NAME, '-n', '1bad'], /Invalid snapshot name: "1bad"/],
      [['snapshot', NAME, '-n', 'live'], /Snapshot already exists: snap\.live/],
      [['snapshot', 'nope'], /instance "nope" does not exist/],
      [['info', `${NAME}.missing`], /No such snapshot: snap\.missing/],
      [['delete', `${NAME}.missing`], /No such snapshot: snap\.missing/],
    ];
    for (const [args, message] of cases) {
      const result = await skiff(args);
      assert.notEqual(result.code, 0, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.deepEqual(Object.keys(await listed()), ['snapshot1', 'live']);
    assert.equal(await exists('after.txt'), 'yes');
  });

  test('restoring the snapshot with memory brings back a process killed after it, and drops later files', async () => {
    await guest(`kill ${pid}; echo later > ~/later.txt && sync`);
    const restored = ok(await skiff(['restore', `${NAME}.live`, '--destructive']), 'restore live');
    assert.match(restored.stdout, /^Snapshot restored: snap\.live \(running again from its saved memory\)$/m);
    assert.match(await guest(`cat /proc/${pid}/cmdline | tr '\\0' ' '`), new RegExp(MARK));
    assert.equal(await exists('later.txt'), 'no');
    assert.equal(await exists('after.txt'), 'yes');
  });

  test('restoring the disk-only snapshot: the file written before survives, the one after is gone', async () => {
    ok(await skiff(['stop', NAME]), 'stop');
    ok(await skiff(['restore', `${NAME}.snapshot1`, '-d']), 'restore snapshot1');
    // The instance now stands on snapshot1: the next snapshot descends from it, numbered on (never reused).
    ok(await skiff(['snapshot', NAME]), 'snapshot after restore');
    assert.equal((await listed()).snapshot3?.parent, 'snapshot1');
    const info = JSON.parse(
      ok(await skiff(['info', `${NAME}.snapshot1`, '--format', 'json']), 'info').stdout,
    ) as {
      info: Record<string, { snapshots: Record<string, { children: string[]; cpu_count: string }> }>;
    };
    assert.deepEqual(info.info[NAME]?.snapshots.snapshot1?.children, ['live', 'snapshot3']);
    assert.equal(info.info[NAME]?.snapshots.snapshot1?.cpu_count, '1');
    ok(await skiff(['start', NAME]), 'start');
    assert.equal(await exists('before.txt'), 'yes');
    assert.equal(await exists('after.txt'), 'no');
  });

  test('settings rename and re-comment; delete removes for good; a deleted instance takes none', async () => {
    ok(await skiff(['set', `local.${NAME}.snapshot1.name=base`]), 'rename');
    ok(await skiff(['set', `local.${NAME}.live.comment=kept`]), 'comment');
    assert.equal(ok(await skiff(['get', `local.${NAME}.live.comment`]), 'get').stdout, 'kept\n');
    assert.deepEqual(await listed(), {
      base: { parent: '', comment: 'clean' },
      live: { parent: 'base', comment: 'kept' },
      snapshot3: { parent: 'base', comment: '' },
    });
    ok(await skiff(['delete', `${NAME}.snapshot3`]), 'delete snapshot');
    assert.equal(await snapshotCount(), '2');
    ok(await skiff(['delete', NAME]), 'delete instance');
    const refused = await skiff(['snapshot', NAME]);
    assert.match(refused.stderr, /instance "snap" is deleted/);
  });
});
