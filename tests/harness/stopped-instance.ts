/**
 * @module A data dir with a stopped instance already recorded (no disk, no VM): enough for tests of requests
 * that the daemon checks before it ever touches a VM (forwards, mounts, rights).
 */
import { mkdir } from 'node:fs/promises';
import { InstanceStore } from '../../src/services/instances/store.js';

/** Makes `dataDir` (0700) holding one stopped instance called `name`. */
export async function dataDirWithStoppedInstance(dataDir: string, name: string): Promise<void> {
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
}
