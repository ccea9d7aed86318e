/**
 * @module One virtiofsd per share, run like QEMU itself: spawned detached in its own session (it outlives the
 * daemon), its socket, pidfile and log in the instance directory (machine.ts shareFile), re-adopted by a
 * restarted daemon through the pidfile and a /proc check that the pid is a virtiofsd serving that very socket.
 * Debian 12 ships QEMU 7.2's C virtiofsd as /usr/lib/qemu/virtiofsd; a standalone (Rust) `virtiofsd` on PATH
 * is preferred. Both take `--socket-path=` and the legacy `-o source=,cache=` options used here.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, readdir, readlink, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../../core/errors.js';
import { shareFile } from './machine.js';
import { findExecutable, processArgv, processState, readPidfile, waitForExit } from './process.js';

/** Where virtiofsd is looked for when the driver is not told: PATH first, then Debian's QEMU package. */
export const VIRTIOFSD_CANDIDATES = ['virtiofsd', '/usr/lib/qemu/virtiofsd'];

/** The first executable candidate, or null (then shares use 9p). Never throws. */
export async function findVirtiofsd(candidates: readonly string[]): Promise<string | null> {
  for (const candidate of candidates) {
    const path = await findExecutable(candidate);
    if (path !== null) return path;
  }
  return null;
}

const paths = (dir: string, tag: string) => ({
  socket: join(dir, shareFile(tag, 'sock')),
  pid: join(dir, shareFile(tag, 'pid')),
  log: join(dir, shareFile(tag, 'log')),
});

/** The fd a virtiofsd gets its shared directory on, and the path that makes it serve that directory. */
const PINNED_FD = 3;
const PINNED_SOURCE = `/proc/self/fd/${PINNED_FD}/.`;

/**
 * Opens `source` for a virtiofsd to serve, so that what is served is the directory that was checked: the open
 * path must still be `source` itself (the kernel's name for the opened directory; a symlink swapped into any
 * component since the check shows here as another path), and, when `ownerUid` is given, still belong to them.
 * @throws SkiffError permission-denied when it changed, invalid-argument when it is gone or not a directory
 */
export async function pinSource(source: string, ownerUid?: number): Promise<FileHandle> {
  const handle = await open(source, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(
    (error: NodeJS.ErrnoException) => {
      throw new SkiffError('invalid-argument', `share source "${source}": ${error.code ?? error.message}`, {
        cause: error,
      });
    },
  );
  try {
    const now = await readlink(`/proc/self/fd/${handle.fd}`);
    if (now !== source)
      throw new SkiffError(
        'permission-denied',
        `share source "${source}" changed since it was checked: now "${now}"`,
      );
    const owner = (await handle.stat()).uid;
    if (ownerUid !== undefined && owner !== ownerUid)
      throw new SkiffError(
        'permission-denied',
        `share source "${source}" now belongs to uid ${owner}, not to uid ${ownerUid} who mounted it`,
      );
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The socket a share's virtiofsd listens on. */
export const virtiofsdSocket = (dir: string, tag: string): string => paths(dir, tag).socket;

/**
 * The live virtiofsd serving `tag` of the VM in `dir`, with the source it serves, or null. The argv check
 * guards against a pid reused after a host reboot. Never throws.
 */
export async function virtiofsdFor(
  dir: string,
  tag: string,
): Promise<{ pid: number; source: string | null } | null> {
  const p = paths(dir, tag);
  const pid = await readPidfile(p.pid);
  if (pid === null || (await processState(pid)) !== 'alive') return null;
  const argv = await processArgv(pid);
  if (argv === null || !argv.includes(`--socket-path=${p.socket}`)) return null;
  let source = argv.find((arg) => arg.startsWith('source='))?.slice('source='.length) ?? null;
  // A pinned source is the directory it was handed open: where that directory is now.
  if (source === PINNED_SOURCE) source = await readlink(`/proc/${pid}/fd/${PINNED_FD}`).catch(() => null);
  return { pid, source };
}

/**
 * Starts a virtiofsd for `source` and resolves once its socket exists (it listens before it prints
 * "Waiting for vhost-user socket connection"). A stale one for the tag is ended first.
 * @throws SkiffError internal with its log when it exits first, timeout
 */
export async function startVirtiofsd(options: {
  binary: string;
  dir: string;
  tag: string;
  source: string;
  /** The uid the source must belong to when it is opened (absent: anyone's, as root asked). */
  ownerUid?: number;
  timeoutMs?: number;
}): Promise<number> {
  const { dir, tag } = options;
  await stopVirtiofsd(dir, tag);
  const p = paths(dir, tag);
  await rm(p.socket, { force: true });
  const pinned = await pinSource(options.source, options.ownerUid);
  const log = await open(p.log, 'w').catch(async (error: unknown) => {
    await pinned.close();
    throw error;
  });
  let child;
  try {
    child = spawn(
      options.binary,
      [
        `--socket-path=${p.socket}`,
        '-o',
        // Not the path, which could be swapped after the check: the directory opened, inherited as fd 3.
        `source=${PINNED_SOURCE}`,
        '-o',
        'cache=auto',
        '-o',
        'announce_submounts',
        // Its namespace sandbox bind-mounts the source by path in a new /proc, where fd 3's path does not
        // resolve; chroot into the opened directory does. The trade: no pid/net namespace of its own (it still
        // drops capabilities, CAP_SYS_CHROOT among them, and runs under seccomp), for a share that cannot be
        // swapped for /root between the check and the open.
        '-o',
        'sandbox=chroot',
      ],
      { cwd: dir, detached: true, stdio: ['ignore', log.fd, log.fd, pinned.fd] },
    );
  } finally {
    await log.close();
    await pinned.close();
  }
  child.unref();
  let exited: string | null = null;
  child.once('error', (error) => (exited = error.message));
  child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (exited !== null) {
      const text = await readLog(p.log);
      throw new SkiffError(
        'internal',
        `virtiofsd for share ${tag} failed to start (${exited}): ${text || 'no output'}`,
      );
    }
    if ((await stat(p.socket).catch(() => null))?.isSocket()) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new SkiffError('timeout', `virtiofsd for share ${tag} did not listen on ${p.socket} in time`);
    }
    await sleep(20);
  }
  if (child.pid === undefined) throw new SkiffError('internal', `virtiofsd for share ${tag} has no pid`);
  await writeFile(p.pid, `${child.pid}\n`);
  return child.pid;
}

/** Ends the share's virtiofsd (SIGTERM, then SIGKILL) and removes its files. Idempotent; never throws. */
export async function stopVirtiofsd(dir: string, tag: string): Promise<void> {
  const live = await virtiofsdFor(dir, tag);
  if (live !== null) {
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(live.pid, name);
      } catch {
        // gone already
      }
    };
    signal('SIGTERM');
    if (!(await waitForExit(live.pid, 3_000))) {
      signal('SIGKILL');
      await waitForExit(live.pid, 5_000);
    }
  }
  const p = paths(dir, tag);
  await Promise.all([rm(p.pid, { force: true }), rm(p.socket, { force: true })]);
}

/** Ends every virtiofsd of the VM in `dir` (stop, destroy, a new boot). Never throws. */
export async function stopAllVirtiofsd(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const tags = names.flatMap((name) => /^fs-(.+)\.pid$/.exec(name)?.[1] ?? []);
  await Promise.all(tags.map((tag) => stopVirtiofsd(dir, tag)));
}

async function readLog(path: string): Promise<string> {
  return (await readFile(path, 'utf8').catch(() => '')).trim().slice(-4000);
}
