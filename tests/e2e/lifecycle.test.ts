/**
 * End to end: a local mirror serving the project's test image, a real skiffd with its own data dir, and the
 * skiff CLI driving real QEMU VMs (TCG here, KVM where usable) through the whole Multipass lifecycle.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { SKIFF, SkiffDaemon, sleep, type CliResult } from '../harness/skiff-process.js';

const listJson = async (daemon: SkiffDaemon) =>
  (
    JSON.parse((await daemon.cli(['list', '--format', 'json'])).stdout) as {
      list: Array<{ name: string; state: string; release: string }>;
    }
  ).list;
const stateOf = async (daemon: SkiffDaemon, name: string) =>
  (await listJson(daemon)).find((i) => i.name === name)?.state;
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

describe('VM lifecycle through the CLI', { timeout: 20 * 60_000 }, () => {
  let work: string;
  let mirror: ServedMirror;
  let daemon: SkiffDaemon;

  before(async () => {
    const image = await buildTestImage();
    work = await mkdtemp(join(tmpdir(), 'skiff-e2e-'));
    await publishImage(join(work, 'mirror'), image);
    mirror = await serveMirror(join(work, 'mirror'));
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(work, 'data') });
  });

  after(async () => {
    // Whatever happened, no VM may outlive the test.
    if (daemon) {
      for (const instance of await listJson(daemon).catch(() => []))
        await daemon.cli(['delete', '--purge', instance.name]).catch(() => undefined);
      await daemon.stop({ keepData: true });
    }
    mirror?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('find, then launch with a cloud-init file; list and info show it', async () => {
    const find = await daemon.cli(['find', 'noble', '--format', 'json']);
    ok(find, 'find');
    const cloudInit = join(work, 'user-data.yaml');
    await writeFile(cloudInit, '#cloud-config\nruncmd:\n  - echo ran > /var/tmp/runcmd-marker\n');
    const launch = await daemon.cli([
      'launch',
      'noble',
      '-n',
      'e2e',
      '-m',
      '512M',
      '-d',
      '2G',
      '--cloud-init',
      cloudInit,
    ]);
    ok(launch, 'launch');
    assert.match(launch.stdout, /^Launched: e2e$/m);
    assert.match(launch.stderr, /Waiting for initialization to complete/);
    assert.deepEqual(await listJson(daemon), [
      { name: 'e2e', state: 'Running', ipv4: [], release: 'Skiff-test 24.04 LTS' },
    ]);
    const info = JSON.parse((await daemon.cli(['info', 'e2e', '--format', 'json'])).stdout) as {
      info: Record<string, Record<string, unknown>>;
    };
    const e2e = info.info['e2e']!;
    assert.equal(e2e['state'], 'Running');
    assert.match(String(e2e['image_hash']), /^[0-9a-f]{64}$/);
    assert.equal(e2e['image_release'], '24.04 LTS');
    assert.match(String(e2e['release']), /skiff test image/i);
    assert.equal(e2e['cpu_count'], '1');
    const disk = Object.values(e2e['disks'] as Record<string, { total: string }>)[0]!;
    assert.ok(Number(disk.total) > 1.5 * 2 ** 30, `the guest sees the 2G disk: ${disk.total}`);
    assert.equal((await daemon.cli(['exec', 'e2e', '--', 'cat', '/var/tmp/runcmd-marker'])).stdout, 'ran\n');
  });

  test('exec passes stdout, stderr, stdin and the exit code through', async () => {
    const result = await daemon.cli(['exec', 'e2e', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(result.code, 7);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
    const quoted = await daemon.cli(['exec', 'e2e', '--', 'printf', '%s|', 'two words', "it's", '$HOME']);
    assert.equal(quoted.stdout, "two words|it's|$HOME|");
    const { child, done } = daemon.cliStartWithInput(['exec', 'e2e', '--', 'tr', 'a-z', 'A-Z']);
    child.stdin!.end('shout\n');
    assert.equal((await done).stdout, 'SHOUT\n');
  });

  test('shell: an interactive terminal that follows resizes, with Ctrl-C and Ctrl-D', async () => {
    const session = `skiff-e2e-${process.pid}`;
    const tmux = (...args: string[]) =>
      execFileSync('tmux', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const screen = () => tmux('capture-pane', '-p', '-t', session);
    const waitFor = async (pattern: RegExp, what: string) => {
      for (let i = 0; i < 200; i++) {
        if (pattern.test(screen())) return;
        await sleep(50);
      }
      assert.fail(`${what}: never saw ${pattern} on the screen:\n${screen()}`);
    };
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '100',
      '-y',
      '30',
      '-e',
      `SKIFF_SOCKET=${daemon.socket}`,
      '-e',
      'SKIFF_NO_AUTOSTART=1',
      process.execPath,
      SKIFF,
      'shell',
      'e2e',
    );
    try {
      await waitFor(/@e2e:.*\$\s*$/m, 'prompt');
      tmux('send-keys', '-t', session, 'hostname; stty size', 'Enter');
      await waitFor(/^e2e\n30 100$/m, 'hostname and size');
      tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
      tmux('send-keys', '-t', session, 'clear; stty size', 'Enter');
      await waitFor(/^40 120$/m, 'size after resize');
      tmux('send-keys', '-t', session, 'sleep 60', 'Enter');
      await sleep(300);
      tmux('send-keys', '-t', session, 'C-c');
      tmux('send-keys', '-t', session, 'echo after-$((6*7))', 'Enter');
      await waitFor(/^after-42$/m, 'Ctrl-C interrupts the guest command, not the session');
      tmux('send-keys', '-t', session, 'C-d');
      for (let i = 0; i < 100; i++) {
        try {
          tmux('has-session', '-t', session);
        } catch {
          return; // Ctrl-D ended the shell, so skiff exited and the session closed.
        }
        await sleep(50);
      }
      assert.fail('Ctrl-D did not end the shell');
    } finally {
      try {
        tmux('kill-session', '-t', session);
      } catch {
        // already gone
      }
    }
  });

  test('stop and start keep what was written on the disk', async () => {
    ok(await daemon.cli(['exec', 'e2e', '--', 'sh', '-c', 'echo kept > /var/tmp/persist && sync']), 'write');
    ok(await daemon.cli(['stop', 'e2e']), 'stop');
    assert.equal(await stateOf(daemon, 'e2e'), 'Stopped');
    const refused = await daemon.cli(['exec', 'e2e', '--', 'true']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot exec "e2e": it is stopped/);
    ok(await daemon.cli(['start', 'e2e']), 'start');
    assert.equal(await stateOf(daemon, 'e2e'), 'Running');
    assert.equal((await daemon.cli(['exec', 'e2e', '--', 'cat', '/var/tmp/persist'])).stdout, 'kept\n');
  });

  test('restart, and suspend then resume keep running state', async () => {
    const bootId = async () =>
      (await daemon.cli(['exec', 'e2e', '--', 'cat', '/proc/sys/kernel/random/boot_id'])).stdout;
    const before = await bootId();
    ok(await daemon.cli(['restart', 'e2e']), 'restart');
    const afterRestart = await bootId();
    assert.notEqual(afterRestart, before, 'restart rebooted the guest');
    ok(await daemon.cli(['exec', 'e2e', '--', 'sh', '-c', 'echo in-ram > /tmp/ram-only']), 'write tmp');
    ok(await daemon.cli(['suspend', 'e2e']), 'suspend');
    assert.equal(await stateOf(daemon, 'e2e'), 'Suspended');
    ok(await daemon.cli(['start', 'e2e']), 'resume');
    assert.equal((await daemon.cli(['exec', 'e2e', '--', 'cat', '/tmp/ram-only'])).stdout, 'in-ram\n');
    assert.equal(await bootId(), afterRestart, 'resume is not a reboot');
  });

  test('VMs outlive the daemon: a restarted (or killed and restarted) skiffd re-adopts them', async () => {
    const dataDir = daemon.dataDir;
    await daemon.stop({ keepData: true });
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.equal(await stateOf(daemon, 'e2e'), 'Running');
    await daemon.signal('SIGKILL');
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.equal(await stateOf(daemon, 'e2e'), 'Running');
    assert.match(daemon.logs(), /re-adopted a running VM/);
    assert.equal((await daemon.cli(['exec', 'e2e', '--', 'hostname'])).stdout, 'e2e\n');
  });

  test('bad input gets a clear error and changes nothing; one name cannot be launched twice', async () => {
    const before = await listJson(daemon);
    const badName = await daemon.cli(['launch', 'noble', '-n', '-bad-']);
    assert.equal(badName.code, 1);
    const badMemory = await daemon.cli(['launch', 'noble', '-n', 'ok1', '-m', '12']);
    assert.equal(badMemory.code, 1);
    assert.match(badMemory.stderr, /--memory: 12 is below the minimum of 512M/);
    const yamlFile = join(work, 'bad.yaml');
    await writeFile(yamlFile, 'runcmd: [unclosed\n');
    const badYaml = await daemon.cli(['launch', 'noble', '-n', 'ok2', '--cloud-init', yamlFile]);
    assert.equal(badYaml.code, 1);
    assert.match(badYaml.stderr, /cloud-init/);
    const taken = await daemon.cli(['launch', 'noble', '-n', 'e2e']);
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /already exists/);
    assert.deepEqual(await listJson(daemon), before);
  });

  test('offline: with the mirror gone, launch by alias works from the cached catalog and image', async () => {
    mirror.stop();
    const launch = await daemon.cli(['launch', 'noble', '-n', 'offline', '-m', '512M']);
    ok(launch, 'offline launch');
    assert.equal(await stateOf(daemon, 'offline'), 'Running');
    const images = JSON.parse((await daemon.cli(['images', '--format', 'json'])).stdout) as {
      images: Array<{ used_by: string[] }>;
    };
    assert.deepEqual(images.images.flatMap((i) => i.used_by).sort(), ['e2e', 'offline']);
  });

  test('delete, recover, delete --purge and purge', async () => {
    ok(await daemon.cli(['delete', 'offline']), 'delete');
    assert.equal(await stateOf(daemon, 'offline'), 'Deleted');
    ok(await daemon.cli(['recover', 'offline']), 'recover');
    assert.equal(await stateOf(daemon, 'offline'), 'Stopped');
    ok(await daemon.cli(['delete', 'offline']), 'delete again');
    ok(await daemon.cli(['purge']), 'purge');
    ok(await daemon.cli(['delete', '--purge', 'e2e']), 'delete --purge');
    assert.deepEqual(await listJson(daemon), []);
  });
});
