/**
 * @module Multipass's primary instance: once launched (by `launch -n primary` or by `shell` launching it), it
 * gets the user's home mounted at `Home` (/home/ubuntu/Home), unless mounts are disabled or a mount already
 * targets it. Done by the client after the launch, as the calling user, as Multipass does: a home that cannot be
 * mounted leaves the instance launched and says why.
 */
import { homedir } from 'node:os';
import { isSkiffError } from '../core/errors.js';
import type { CliContext } from './context.js';
import { exitCodeFor } from './exit-codes.js';
import { resolveMountSource } from './mount-source.js';

/** Where the home goes, relative to the default user's home (Multipass's `home_automount_dir`). */
export const HOME_MOUNT_TARGET = 'Home';

/**
 * Mounts the caller's home in `name` when it is the primary instance. `targets` are the mounts the launch already
 * has (as typed), so an explicit `--mount ...:Home` wins. @returns the exit code (0, or the mount's failure)
 */
export async function mountPrimaryHome(
  ctx: CliContext,
  name: string,
  targets: readonly string[] = [],
): Promise<number> {
  const primary = (await ctx.withDaemon((client) => client.getSetting('client.primary-name'))).value;
  if (primary === '' || name !== primary) return 0;
  if (
    targets.some(
      (t) => t.replace(/\/+$/, '') === HOME_MOUNT_TARGET || t === `/home/ubuntu/${HOME_MOUNT_TARGET}`,
    )
  )
    return 0;
  const enabled = (await ctx.withDaemon((client) => client.getSetting('local.privileged-mounts'))).value;
  if (enabled === 'false') {
    ctx.stdout.write('Skipping mount due to disabled mounts feature\n');
    return 0;
  }
  try {
    const source = await resolveMountSource(homedir());
    await ctx.withDaemon((client) =>
      client.addMount(name, { source_path: source, target_path: HOME_MOUNT_TARGET }),
    );
    ctx.stdout.write(`Mounted '${source}' into '${name}:${HOME_MOUNT_TARGET}'\n`);
    return 0;
  } catch (error) {
    if (!isSkiffError(error) || error.code === 'daemon-unreachable') throw error;
    ctx.stderr.write(`${error.message}\n`);
    return exitCodeFor(error.code);
  }
}
