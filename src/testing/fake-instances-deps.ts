/**
 * @module What an InstancesService needs, all fake, for service tests: one catalog image (`noble`, sha256
 * `sha`), the fake driver, shell and images, a fake clock, user-mode networking and no host interfaces.
 * Tests override what they exercise.
 */
import { join } from 'node:path';
import type { InstancesDeps } from '../services/instances/instances.js';
import type { InstanceStore } from '../services/instances/store.js';
import { FakeClock } from './fake-clock.js';
import { FakeDriver, FakeGuestShell, FakeImageResolver, FakeImages, fakeImageInfo } from './fake-vm.js';

export function fakeInstancesDeps(
  dataDir: string,
  store: InstanceStore,
  options: { sha?: string } = {},
): InstancesDeps & { driver: FakeDriver; images: FakeImages; shell: FakeGuestShell; clock: FakeClock } {
  const sha = options.sha ?? 'a'.repeat(64);
  return {
    store,
    resolver: new FakeImageResolver([fakeImageInfo({ id: sha, sha256: sha })]),
    images: new FakeImages(),
    driver: new FakeDriver(),
    shell: new FakeGuestShell(),
    identity: { user: 'ubuntu', privateKeyPath: '/k', publicKey: 'ssh-ed25519 AAAA skiff' },
    makeHostKey: async (_dir: string, name: string) => ({
      privateKey: 'PRIVATE',
      publicKey: `ssh-ed25519 AAAAhost${name} ${name}`,
    }),
    identityDir: join(dataDir, 'guests'),
    dataDir,
    clock: new FakeClock(),
    log: { info: () => undefined, warn: () => undefined },
    networkMode: () => 'user',
    hostNetworks: { list: async () => [] },
    bridgedNetwork: () => '',
  };
}
