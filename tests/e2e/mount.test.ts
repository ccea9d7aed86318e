/**
 * End to end: `skiff mount`, `umount` and `launch --mount` on one real instance of the test image under QEMU,
 * through a real skiffd (user-mode networking, loopback mirror). It is the primary instance, so its launch mounts
 * the caller's home at Home too. A directory given at launch (shared from the
 * boot) and one mounted on the running instance (virtiofs hot-plug), files written on either side seen on the
 * other; both back after stop/start and after a daemon kill -9 and restart; `info` shows them; umount undoes
 * them in the guest and forgets them. Classic (SSHFS) mounts too: one of the same source as a native one, and one
 * added while stopped; their host side (sftp-server) outlives the daemon.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mountTag } from '../../src/core/mount-spec.js';
import { MirrorBed } from '../harness/mirror-bed.js';
import type { SkiffDaemon } from '../harness/skiff-process.js';
import { type CliResult } from '../harness/skiff-process.js';

/** The primary instance: its launch also mounts the caller's home at Home, as Multipass's does. */
const NAME = 'primary';
const run = promisify(execFile);
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

describe('skiff mount', { timeout: 30 * 60_000 }, () => {
  let work: string;
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;
  let atLaunch: string;
  let live: string;
  let home: string;
  let launched: CliResult;

  const guest = async (script: string) => {
    const result = await daemon.cli(['exec', NAME, '--', 'sh', '-c', script]);
    return { code: result.code, out: result.stdout.trim(), err: result.stderr };
  };
  /** Whether the guest's mount table has `path` (the test image has no `mountpoint`). */
  const mounted = async (path: string) => (await guest(`grep -q ' ${path} ' /proc/mounts`)).code === 0;
  const infoMounts = async () =>
    (
      JSON.parse((await daemon.cli(['info', NAME, '--format', 'json'])).stdout) as {
        info: Record<string, { mounts: Record<string, { source_path: string }> }>;
      }
    ).info[NAME]!.mounts;
  const startDaemon = async () => {
    daemon = await bed!.startDaemon();
  };

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-mount-');
    work = bed.work;
    atLaunch = join(work, 'at-launch');
    live = join(work, 'live');
    home = join(work, 'home');
    for (const dir of [atLaunch, live, home]) {
      await mkdir(dir);
      await writeFile(join(dir, 'hello.txt'), `hello from ${dir}\n`);
    }
    await startDaemon();
    launched = await daemon.cli(
      ['launch', 'noble', '-n', NAME, '-m', '512M', '-d', '2G', '--mount', `${atLaunch}:/src`],
      { timeoutMs: 15 * 60_000, env: { HOME: home } },
    );
    ok(launched, 'launch --mount');
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
  });

  test('launch --mount: shared from the boot and mounted once launched', async () => {
    assert.equal((await guest('cat /src/hello.txt')).out, `hello from ${atLaunch}`);
    assert.deepEqual(await infoMounts(), {
      '/src': { source_path: atLaunch, uid_mappings: [], gid_mappings: [] },
      '/home/ubuntu/Home': { source_path: home, uid_mappings: [], gid_mappings: [] },
    });
    assert.equal(launched.stdout, `Launched: ${NAME}\nMounted '${home}' into '${NAME}:Home'\n`);
    assert.equal((await guest('cat /home/ubuntu/Home/hello.txt')).out, `hello from ${home}`);
    ok(await daemon.cli(['umount', `${NAME}:Home`]), 'umount Home');
  });

  test('mount on the running instance: both ways, at once', async () => {
    ok(await daemon.cli(['mount', live, `${NAME}:data`]), 'mount');
    assert.equal((await guest('cat /home/ubuntu/data/hello.txt')).out, `hello from ${live}`);
    await writeFile(join(live, 'from-host.txt'), 'host\n');
    assert.equal((await guest('cat /home/ubuntu/data/from-host.txt')).out, 'host');
    ok(
      await daemon.cli([
        'exec',
        NAME,
        '--',
        'sh',
        '-c',
        'echo guest | sudo tee /home/ubuntu/data/from-guest.txt',
      ]),
      'write',
    );
    assert.equal(await readFile(join(live, 'from-guest.txt'), 'utf8'), 'guest\n');
    const again = await daemon.cli(['mount', live, `${NAME}:data`]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /"\/home\/ubuntu\/data" is already mounted in 'primary'/);
    const table = (await daemon.cli(['info', NAME])).stdout;
    assert.match(table, new RegExp(`^Mounts: +${atLaunch} *=> /src$`, 'm'));
    assert.match(table, new RegExp(`^ {16}${live} *=> /home/ubuntu/data$`, 'm'));
  });

  test('classic (SSHFS) mount of the same source elsewhere: both ways, the caller is the default user inside', async () => {
    ok(await daemon.cli(['mount', '-t', 'classic', live, `${NAME}:classic`]), 'mount -t classic');
    assert.equal((await guest('cat /home/ubuntu/classic/hello.txt')).out, `hello from ${live}`);
    // The daemon's caller here is root: root's files show as the default user's (Multipass's default map).
    assert.equal((await guest('stat -c %U:%G /home/ubuntu/classic/hello.txt')).out, 'ubuntu:ubuntu');
    // Written by the default user (no sudo); the host file belongs to the caller, whose SFTP server wrote it.
    ok(
      await daemon.cli(['exec', NAME, '--', 'sh', '-c', 'echo classic > /home/ubuntu/classic/c.txt']),
      'write',
    );
    assert.equal(await readFile(join(live, 'c.txt'), 'utf8'), 'classic\n');
    assert.equal((await stat(join(live, 'c.txt'))).uid, process.getuid!());
    // The same source through the other (native) mount sees it too.
    const seen = await guest('ls -l /home/ubuntu/data/c.txt; cat /home/ubuntu/data/c.txt');
    assert.match(seen.out, /^-rw-r--r-- .*\nclassic$/, seen.err);
    const info = await infoMounts();
    assert.deepEqual(info['/home/ubuntu/classic'], {
      source_path: live,
      uid_mappings: [`${process.getuid!()}:default`],
      gid_mappings: [`${process.getgid!()}:default`],
    });
    ok(await daemon.cli(['umount', `${NAME}:classic`]), 'umount classic');
    assert.equal(await mounted('/home/ubuntu/classic'), false);
  });

  test('a killed virtiofsd: the mount is said to be down, and a restart brings it back', async () => {
    const pidfile = join(work, 'data', 'instances', NAME, `fs-${mountTag('/home/ubuntu/data')}.pid`);
    process.kill(Number((await readFile(pidfile, 'utf8')).trim()), 'SIGKILL');
    // The supervisor looks every 5 s (the guest is not touched: its requests on a dead share would hang).
    let view: { active: boolean; pending?: string } | undefined;
    for (let i = 0; i < 30 && view?.active !== false; i++) {
      await sleep(1_000);
      const { stdout } = await run('curl', [
        '-sS',
        '--unix-socket',
        daemon.socket,
        `http://skiff/1.0/instances/${NAME}/mounts`,
      ]);
      const mounts = (JSON.parse(stdout) as { mounts: Array<{ target_path: string; active: boolean }> })
        .mounts;
      view = mounts.find((m) => m.target_path === '/home/ubuntu/data');
    }
    assert.equal(view?.active, false);
    assert.equal(view?.pending, `its virtiofsd died: restart '${NAME}' to mount it again`);
    ok(await daemon.cli(['restart', NAME], { timeoutMs: 10 * 60_000 }), 'restart');
    assert.equal((await guest('cat /home/ubuntu/data/hello.txt')).out, `hello from ${live}`);
  });

  test('stop/start and restart: both mounted again', async () => {
    ok(await daemon.cli(['stop', NAME], { timeoutMs: 5 * 60_000 }), 'stop');
    // A classic mount added while stopped is recorded, and comes with the start.
    ok(await daemon.cli(['mount', '--type', 'classic', atLaunch, `${NAME}:/srv/classic`]), 'mount stopped');
    ok(await daemon.cli(['start', NAME], { timeoutMs: 10 * 60_000 }), 'start');
    assert.equal((await guest('cat /srv/classic/hello.txt')).out, `hello from ${atLaunch}`);
    assert.equal(
      (await guest('cat /src/hello.txt /home/ubuntu/data/from-host.txt')).out,
      `hello from ${atLaunch}\nhost`,
    );
    ok(await daemon.cli(['restart', NAME], { timeoutMs: 10 * 60_000 }), 'restart');
    assert.ok(await mounted('/src'));
    assert.ok(await mounted('/home/ubuntu/data'));
    assert.ok(await mounted('/srv/classic'));
  });

  test('daemon kill -9 and restart: the running guest keeps its mounts, and they can still be undone', async () => {
    await daemon.signal('SIGKILL');
    await startDaemon();
    assert.ok(await mounted('/src'));
    assert.ok(await mounted('/home/ubuntu/data'));
    // Mounted once each: the restarted daemon mounts only what the guest lacks.
    assert.equal((await guest("grep -c ' /src ' /proc/mounts")).out, '1');
    // The classic mount's feed lives outside the daemon: it kept working, and was not mounted twice.
    assert.equal((await guest("grep -c ' /srv/classic ' /proc/mounts")).out, '1');
    assert.equal((await guest('cat /srv/classic/hello.txt')).out, `hello from ${atLaunch}`);
    await writeFile(join(live, 'after-restart.txt'), 'still\n');
    assert.equal((await guest('cat /home/ubuntu/data/after-restart.txt')).out, 'still');

    ok(await daemon.cli(['umount', `${NAME}:data`]), 'umount one');
    assert.equal(await mounted('/home/ubuntu/data'), false);
    assert.deepEqual(Object.keys(await infoMounts()).sort(), ['/src', '/srv/classic']);
    ok(await daemon.cli(['unmount', NAME]), 'umount all');
    assert.equal(await mounted('/src'), false);
    assert.equal(await mounted('/srv/classic'), false);
    assert.deepEqual(await infoMounts(), {});
  });
});
