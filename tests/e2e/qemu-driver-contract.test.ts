/**
 * The VM driver contract (src/testing/vm-driver-contract.ts), run against the real QEMU driver with the test
 * image: the same cases the fake driver passes in the unit tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuDriver } from '../../src/backends/qemu/driver.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell, probeSshBanner } from '../../src/backends/ssh/session.js';
import type { GuestEndpoint } from '../../src/services/instances/ports.js';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { vmDriverContract } from '../../src/testing/vm-driver-contract.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';

/** Polls for the guest's SSH banner (a booted guest, which also answers the ACPI power button). */
async function banner(endpoint: GuestEndpoint, timeoutMs = 180_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await probeSshBanner(endpoint.host, endpoint.port, 2_000)).ok) return true;
    await sleep(250);
  }
  return false;
}

vmDriverContract(
  'qemu',
  async () => {
    const baseImage = await buildTestImage();
    const root = await mkdtemp(join(tmpdir(), 'skiff-driver-'));
    const key = await ensureKeyPair({ dir: join(root, 'keys') });
    return {
      driver: new QemuDriver({ root: join(root, 'instances') }),
      baseImage,
      cloudInit: cloudInitFiles({
        instanceId: 'iid-contract',
        hostname: 'contract',
        sshAuthorizedKeys: [key.publicKey],
      }),
      diskBytes: 1024 ** 3,
      grownDiskBytes: 2 * 1024 ** 3,
      memoryBytes: 256 * 1024 ** 2,
      reachable: (endpoint) => banner(endpoint),
      settled: async (endpoint) => void (await banner(endpoint)),
      readShared: async (endpoint, tag, transport, file) => {
        // As the service does it: mount as root through sudo; read as root (the source is the host's 0700 temp dir).
        const target = {
          ...endpoint,
          user: 'ubuntu',
          keyPath: key.privateKeyPath,
          hostKey: {
            knownHostsFile: join(root, `known_hosts-${Date.now()}`),
            alias: 'contract',
            learn: true,
          },
        };
        const options = transport === '9p' ? '-o trans=virtio,version=9p2000.L ' : '';
        const result = await new OpenSshGuestShell().run(
          target,
          `sudo mkdir -p /mnt/c && sudo mount -t ${transport} ${options}${tag} /mnt/c && sudo cat /mnt/c/${file}; ` +
            `code=$?; sudo umount /mnt/c; exit $code`,
          { timeoutMs: 60_000 },
        );
        if (result.code !== 0) throw new Error(`reading ${file} from share ${tag} failed: ${result.stderr}`);
        return result.stdout;
      },
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  15 * 60_000,
);
