/**
 * @module Preparing the API socket path: refuse to run twice, clear a stale socket, set owner group and mode.
 */
import { connect } from 'node:net';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SkiffError } from '../core/errors.js';

/** Removes a socket file left by a dead daemon. @throws SkiffError('conflict') when a daemon answers on it. */
export async function clearStaleSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  try {
    await stat(path);
  } catch {
    return;
  }
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
