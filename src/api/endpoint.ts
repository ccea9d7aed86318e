/**
 * @module Where the daemon listens and keeps its data by default, shared by skiff and skiffd. Pure: the
 * environment and uid are passed in.
 */
import { join } from 'node:path';

export interface HostIdentity {
  env: NodeJS.ProcessEnv;
  uid: number;
  home: string;
}

/** `SKIFF_SOCKET`, else /run/skiff/skiffd.sock for root, else $XDG_RUNTIME_DIR/skiff/skiffd.sock. */
export function defaultSocketPath({ env, uid }: HostIdentity): string {
  if (env.SKIFF_SOCKET) return env.SKIFF_SOCKET;
  if (uid === 0) return '/run/skiff/skiffd.sock';
  const runtime = env.XDG_RUNTIME_DIR || `/tmp/skiff-${uid}`;
  return join(runtime, 'skiff', 'skiffd.sock');
}

/** `SKIFF_DATA_DIR`, else /var/lib/skiff for root, else $XDG_DATA_HOME/skiff. */
export function defaultDataDir({ env, uid, home }: HostIdentity): string {
  if (env.SKIFF_DATA_DIR) return env.SKIFF_DATA_DIR;
  if (uid === 0) return '/var/lib/skiff';
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'skiff');
}
