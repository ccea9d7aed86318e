/**
 * End to end: skiffd killed with -9 during `suspend`, with real QEMU. The restarted daemon settles it: a save
 * that completed becomes a normal suspend (QEMU ended; start resumes with RAM intact); a guest left paused
 * without a saved state is resumed. Never a VM left paused with a record that says Unknown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withQmp } from '../../src/backends/qemu/qmp-client.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { SkiffDaemon, sleep, type CliResult } from '../harness/skiff-process.js';

const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
const stateOf = async (daemon: SkiffDaemon, name: string) =>
  (
    JSON.parse((await daemon.cli(['list', '--format', 'json'])).stdout) as {
      list: Array<{ name: string; state: string }>;
    }
  ).list.find((i) => i.name === name)?.state;

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe('a suspend interrupted by kill -9', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let mirror: ServedMirror;
  let daemon: SkiffDaemon;
  let dataDir: string;
  const dir = () => join(dataDir, 'instances', 'napper');
  const recordText = () => readFile(join(dataDir, 'instances.json'), 'utf8');

  before(async () => {
    const image = await buildTestImage();
    work = await mkdtemp(join(tmpdir(), 'skiff-e2e-suspend-'));
    dataDir = join(work, 'data');
    await publishImage(join(work, 'mirror'), image);
    mirror = await serveMirror(join(work, 'mirror'));
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    ok(await daemon.cli(['launch', 'noble', '-n', 'napper', '-m', '512M']), 'launch');
    ok(await daemon.cli(['exec', 'napper', '--', 'sh', '-c', 'echo in-ram > /tmp/ram-only']), 'write tmp');
  });
  after(async () => {
    if (daemon) {
      await daemon.cli(['delete', '--purge', 'napper']).catch(() => undefined);
      await daemon.stop({ keepData: true });
    }
    mirror?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('killed while QEMU saves: the restarted daemon finishes the suspend, and resume keeps RAM', async () => {
    const diskBefore = (await stat(join(dir(), 'disk.qcow2'))).size;
    const { done } = daemon.cliStart(['suspend', 'napper']);
    await until('the record to say Suspending', async () => (await recordText()).includes('"Suspending"'));
    // The RAM state going into the disk: savevm is under way.
    await until(
      'savevm to write into the disk',
      async () => (await stat(join(dir(), 'disk.qcow2'))).size > diskBefore + 8 * 2 ** 20,
    );
    await daemon.signal('SIGKILL');
    await done;
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.match(daemon.logs(), /"settlingSuspends":\["napper"\]/);
    await until('the suspend to settle', async () => (await stateOf(daemon, 'napper')) !== 'Suspending');
    assert.equal(await stateOf(daemon, 'napper'), 'Suspended');
    assert.match(daemon.logs(), /settled a suspend the daemon died during/);
    assert.equal(
      await readFile(join(dir(), 'qemu.pid'), 'utf8').catch(() => null),
      null,
      'QEMU ended, as a finished suspend leaves it',
    );
    ok(await daemon.cli(['start', 'napper']), 'resume');
    assert.equal((await daemon.cli(['exec', 'napper', '--', 'cat', '/tmp/ram-only'])).stdout, 'in-ram\n');
  });

  test('left paused with no saved state (killed before the save): the guest is resumed, not rebooted', async () => {
    const bootId = (await daemon.cli(['exec', 'napper', '--', 'cat', '/proc/sys/kernel/random/boot_id']))
      .stdout;
    await daemon.signal('SIGKILL');
    // What the dead daemon left between `stop` and `savevm`: a paused guest, a record saying Suspending.
    await withQmp(join(dir(), 'qmp.sock'), (c) => c.execute('stop'));
    await writeFile(
      join(dataDir, 'instances.json'),
      (await recordText()).replace('"state":"Running"', '"state":"Suspending"'),
    );
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    await until('the suspend to settle', async () => (await stateOf(daemon, 'napper')) !== 'Suspending');
    assert.equal(await stateOf(daemon, 'napper'), 'Running');
    const again = await daemon.cli(['exec', 'napper', '--', 'cat', '/proc/sys/kernel/random/boot_id']);
    assert.equal(again.stdout, bootId, 'the same boot: resumed, not restarted');
    assert.equal((await daemon.cli(['exec', 'napper', '--', 'cat', '/tmp/ram-only'])).stdout, 'in-ram\n');
  });
});
