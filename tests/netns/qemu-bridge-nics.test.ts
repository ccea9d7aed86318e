/**
 * The QEMU driver's bridged and macvtap NICs, for real, inside a network namespace this test makes (nothing of
 * the machine's own network changes): the runner (tests/harness/bridge-nics-main.ts) boots the test image with
 * NIC 0 as a tap on a bridge and NIC 1 as macvtap on a veth end; dnsmasq in the namespace answers both.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TestNetwork } from '../harness/netns.js';
import { execDying } from '../harness/ns-process.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { REPO_ROOT } from '../harness/skiff-process.js';

const RUNNER = fileURLToPath(new URL('../harness/bridge-nics-main.js', import.meta.url));

test(
  'QEMU NICs: a tap on a bridge (SSH at the reserved address) and a macvtap that gets its own lease',
  { skip: TestNetwork.skipReason(), timeout: 10 * 60_000 },
  async () => {
    const image = await buildTestImage();
    const work = await mkdtemp(join(tmpdir(), 'skiff-nics-'));
    try {
      // A fresh network namespace (and mount namespace, for nothing to leak) for the runner and all it starts.
      const out = await execDying(
        ['unshare', '--net', '--', process.execPath, RUNNER, work, image, 'test-image'],
        {
          timeoutMs: 9 * 60_000,
        },
      );
      const seen = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      assert.equal(seen.error, undefined, String(seen.error));
      assert.deepEqual(seen.endpoint, { host: '10.77.0.42', port: 22 });
      assert.deepEqual(seen.endpointAfterStart, seen.endpoint);
      assert.match(String(seen.bridgePorts), /sk[0-9a-f]{8}t0/, 'the tap joined br0');
      assert.equal((seen.macvtapsWhileRunning as string[]).length, 1);
      assert.match(String(seen.eth0), /52:54:00:77:00:02[\s\S]*inet 10\.77\.0\.42\/24/);
      assert.match(String(seen.eth1Lease), /udhcpc exit 0[\s\S]*inet 10\.78\.0\.\d+\/24/);
      assert.match(String(seen.eth1Lease), /52:54:00:78:00:03/);
      assert.equal(seen.powerAfterStop, 'stopped');
      assert.deepEqual(seen.macvtapsAfterStop, [], 'stop removes the macvtap device');
      assert.deepEqual(seen.tapsAfterStop, [], 'the tap went with QEMU');
      assert.match(String(seen.leases), /52:54:00:77:00:02 10\.77\.0\.42/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
);

test(
  'the real cloud-init configures an extra NIC from the seed (mode=auto) beside a primary NIC on a bridge',
  { skip: TestNetwork.skipReason(), timeout: 25 * 60_000 },
  async () => {
    const image = await realCloudInitImage();
    const work = await mkdtemp(join(tmpdir(), 'skiff-nics-ci-'));
    try {
      const out = await execDying(
        ['unshare', '--net', '--', process.execPath, RUNNER, work, image, 'real-cloud-init'],
        { timeoutMs: 24 * 60_000 },
      );
      const seen = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      assert.equal(seen.error, undefined, String(seen.error));
      assert.deepEqual(seen.cloudInit, { status: 'done', errors: [] });
      // The primary NIC took its reserved address; the extra one a lease of its own on the macvtap's LAN.
      assert.match(String(seen.addresses), /inet 10\.77\.0\.42\/24/);
      assert.match(String(seen.addresses), /inet 10\.78\.0\.\d+\/24/);
      // The default route stays on the primary NIC.
      assert.match(String(seen.routes), /^default via 10\.77\.0\.1 /m);
      assert.deepEqual(seen.macvtapsAfterStop, []);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
);

/** Builds the image with the real cloud-init, or reuses the cached one. @returns its path */
async function realCloudInitImage(): Promise<string> {
  const out = await execDying(['bash', join(REPO_ROOT, 'images/cloudinit-image/build.sh')], {
    timeoutMs: 30 * 60_000,
  });
  return out.trim().split('\n').at(-1)!.trim();
}
