/**
 * @module Preparing the API socket path: refuse to run twice, clear a stale socket, set owner group and mode.
 * Only a socket is ever removed: `--socket /etc/passwd` (or a symlink, a directory) stops the daemon instead.
 */
import { connect } from 'node:net';
import { chmod, chown, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SkiffError } from '../core/errors.js';

/**
 * Removes a socket file left by a dead daemon.
 * @throws SkiffError('conflict') when a daemon answers on it, ('invalid-argument') when it is not a socket.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  await makeSocketDir(dirname(path));
  if (!(await isSocket(path))) return;
  const alive = await new Promise<boolean>((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (alive) throw new SkiffError('conflict', `another skiffd is already listening on ${path}`);
  await rm(path, { force: true });
}

/** Removes the daemon's socket at exit, if `path` is still a socket. Never throws. */
export async function removeSocket(path: string): Promise<void> {
  if (await isSocket(path).catch(() => false)) await rm(path, { force: true }).catch(() => undefined);
}

/**
 * False when nothing is at `path`, true for a socket (not followed if a symlink).
 * @throws SkiffError('invalid-argument') naming what is there instead
 */
async function isSocket(path: string): Promise<boolean> {
  const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (found === null) return false;
  if (found.isSocket()) return true;
  const what = found.isSymbolicLink()
    ? 'a symbolic link'
    : found.isDirectory()
      ? 'a directory'
      : found.isFile()
        ? 'a regular file'
        : 'not a socket';
  throw new SkiffError(
    'invalid-argument',
    `--socket ${path}: ${what} is in the way; skiffd only replaces a stale socket, never other files (choose another path or remove it yourself)`,
    { details: { field: 'socket' } },
  );
}

/**
 * Creates the socket's directory (and parents) with mode 0755 so group members can reach the socket; the
 * daemon's umask (0077) would otherwise make them 0700. Existing directories are left as they are.
 */
async function makeSocketDir(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let current = dir; ; current = dirname(current)) {
    await chmod(current, 0o755);
    if (current === first || dirname(current) === current) return;
  }
}

/** Mode 0660, group `skiff` when that group exists: members may use skiff without root. */
export async function restrictSocket(path: string): Promise<string | null> {
  await chmod(path, 0o660);
  const gid = await groupId('skiff');
  if (gid === null) return null;
  await chown(path, process.getuid?.() ?? 0, gid).catch(() => undefined);
  return 'skiff';
}

async function groupId(name: string): Promise<number | null> {
  try {
    const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
    const gid = Number(line?.split(':')[2]);
    return Number.isInteger(gid) ? gid : null;
  } catch {
    return null;
  }
}
