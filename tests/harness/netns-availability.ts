/**
 * @module Whether this host can run TestNetwork: Linux, root, the tools on PATH, and a trial `unshare --net`
 * (containers without CAP_SYS_ADMIN fail there). Checked once per process.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether namespaces can be used here, and if not, why. */
export interface Availability {
  ok: boolean;
  reason?: string;
}

const TOOLS = ['unshare', 'nsenter', 'setpriv', 'ip', 'mount', 'sh', 'sleep'];

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function probe(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root' };
  const missing = TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) return { ok: false, reason: `missing on PATH: ${missing.join(', ')}` };
  if (!existsSync('/etc/resolv.conf')) return { ok: false, reason: '/etc/resolv.conf does not exist' };
  const trial = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'ip', 'link'], {
    timeout: 3000,
    encoding: 'utf8',
  });
  if (trial.status !== 0) {
    return { ok: false, reason: `unshare --net failed: ${trial.stderr.trim() || String(trial.error)}` };
  }
  return { ok: true };
}

let cached: Availability | undefined;

/** Checks (once, then cached) root, Linux, the tools on PATH, /etc/resolv.conf and a trial `unshare --net`. */
export function netnsAvailability(): Availability {
  cached ??= probe();
  return cached;
}
