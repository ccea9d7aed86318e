/**
 * @module Pure: the guest directory the host's working directory is mounted at, as Multipass's `exec` maps it
 * (`src/client/cli/cmd/exec.cpp`): when the host directory lies under a mount's source, the same relative path
 * under that mount's target. The last matching mount wins, as in Multipass.
 */
import { posix } from 'node:path';

export interface MountPaths {
  source_path: string;
  target_path: string;
}

/** The guest path for host directory `cwd` (absolute), or undefined when no mount covers it. */
export function mappedDirectory(cwd: string, mounts: readonly MountPaths[]): string | undefined {
  const here = posix.normalize(cwd);
  let mapped: string | undefined;
  for (const mount of mounts) {
    const source = posix.normalize(mount.source_path).replace(/\/+$/, '') || '/';
    const relative = posix.relative(source, here);
    if (relative === '' || (!relative.startsWith('..') && !posix.isAbsolute(relative)))
      mapped = relative === '' ? mount.target_path : posix.join(mount.target_path, relative);
  }
  return mapped;
}
