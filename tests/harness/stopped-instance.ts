/**
 * @module A work dir for tests of requests the daemon checks before it ever touches a VM (forwards, mounts,
 * rights): enterable by everyone (0755, so unprivileged test users reach what is theirs in it), a socket in
 * `run/` outside the data dir (as /run/skiff), and a data dir (0700) with one stopped instance recorded (no disk,
 * no VM).
 */
import { chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstanceStore } from '../../src/services/instances/store.js';

/** Makes the work dir; `name` is the stopped instance. @returns its paths */
export async function workWithStoppedInstance(
  prefix: string,
  name: string,
): Promise<{ work: string; socket: string; dataDir: string }> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  await chmod(work, 0o755);
  await mkdir(join(work, 'run'), { mode: 0o755 });
  const dataDir = join(work, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  await new InstanceStore(dataDir).put({
    name,
    state: 'Stopped',
    stateBeforeDelete: null,
    cpus: 1,
    memoryBytes: 2 ** 29,
    diskBytes: 2 ** 30,
    sshPort: 0,
    mac: '52:54:00:00:00:01',
    image: { id: '', path: '', releaseTitle: '', os: '', remote: null, query: 'noble', version: '' },
    createdAtMs: 1,
    shutdownAtMs: null,
    launched: true,
  });
  return { work, socket: join(work, 'run', 'skiffd.sock'), dataDir };
}
