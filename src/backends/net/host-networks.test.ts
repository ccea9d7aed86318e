import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { LinuxHostNetworks } from './host-networks.js';

const ETH0 = fileURLToPath(
  new URL('../../../../src/backends/net/testdata/ip-link-eth0.json', import.meta.url),
);
let dir: string;
let fakeIp: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-host-networks-'));
  // An `ip` that prints the captured eth0 entry whatever it is asked, so sysfs alone decides below.
  fakeIp = join(dir, 'ip');
  await writeFile(fakeIp, `#!/bin/sh\nexec cat '${ETH0}'\n`);
  await chmod(fakeIp, 0o755);
});
after(() => rm(dir, { recursive: true, force: true }));

/** A sysfs tree with eth0 at `ifindex`, wireless or not. */
async function sysfs(name: string, ifindex: number, wireless: boolean): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'eth0', wireless ? 'wireless' : 'statistics'), { recursive: true });
  await writeFile(join(root, 'eth0', 'ifindex'), `${ifindex}\n`);
  return root;
}

test('a NIC sysfs shows as wireless is left out; same name, another index (another namespace) is kept', async () => {
  const wifi = new LinuxHostNetworks({ ipCommand: fakeIp, sysClassNet: await sysfs('wifi', 4, true) });
  assert.deepEqual(await wifi.list(), []);
  const elsewhere = new LinuxHostNetworks({ ipCommand: fakeIp, sysClassNet: await sysfs('other', 9, true) });
  assert.deepEqual(await elsewhere.list(), [
    { name: 'eth0', type: 'ethernet', description: 'Ethernet device' },
  ]);
  const wired = new LinuxHostNetworks({ ipCommand: fakeIp, sysClassNet: await sysfs('wired', 4, false) });
  assert.deepEqual(await wired.list(), [{ name: 'eth0', type: 'ethernet', description: 'Ethernet device' }]);
});

test('without ip the error is missing-dependency naming iproute2; a failing ip says what was run', async () => {
  await assert.rejects(new LinuxHostNetworks({ ipCommand: join(dir, 'no-such-ip') }).list(), {
    code: 'missing-dependency',
    details: { program: join(dir, 'no-such-ip'), package: 'iproute2' },
  });
  await assert.rejects(
    new LinuxHostNetworks({ ipCommand: 'false' }).list(),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'internal');
      assert.match(e.message, /listing host network interfaces \(false -j -d link show\)/);
      return true;
    },
  );
});

test("this machine's own interfaces: read only, never loopback, every entry a bridge or ethernet", async () => {
  const list = await new LinuxHostNetworks().list();
  assert.ok(!list.some((i) => i.name === 'lo'));
  for (const i of list) assert.ok(i.type === 'bridge' || i.type === 'ethernet', JSON.stringify(i));
});
