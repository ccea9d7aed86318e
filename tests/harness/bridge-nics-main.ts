/**
 * @module Runs INSIDE a network namespace (tests/netns/qemu-bridge-nics.test.ts starts it there): sets up a
 * bridge `br0` (10.77.0.1/24) with dnsmasq reserving an address for the guest's first MAC, and a veth pair
 * whose `mvparent` end carries a macvtap NIC while dnsmasq answers on the other end (10.78.0.1/24). Then the
 * real QEMU driver boots the test image with NIC 0 on the bridge and NIC 1 on macvtap, SSH goes to the
 * reserved address, the guest asks for a lease on eth1, and stop/destroy clean up. Prints one JSON line with
 * what it saw; the test asserts on it. Argv: WORKDIR BASE_IMAGE FLAVOR, where FLAVOR `real-cloud-init` boots
 * an image with the real cloud-init and lets it configure NIC 1 from the seed's network-config (mode=auto),
 * and `test-image` (the stand-in) has the guest ask for the lease on eth1 itself.
 */
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { QemuDriver } from '../../src/backends/qemu/driver.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../../src/backends/ssh/session.js';
import { waitForCloudInit } from '../../src/services/instances/cloud-init-wait.js';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';

const [work, baseImage, flavor] = process.argv.slice(2) as [string, string, 'test-image' | 'real-cloud-init'];
const MAC0 = '52:54:00:77:00:02';
const MAC1 = '52:54:00:78:00:03';
const RESERVED = '10.77.0.42';
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const links = () => ip('-o', 'link', 'show');

ip('link', 'set', 'lo', 'up');
ip('link', 'add', 'br0', 'type', 'bridge');
ip('addr', 'add', '10.77.0.1/24', 'dev', 'br0');
ip('link', 'set', 'br0', 'up');
ip('link', 'add', 'mvparent', 'type', 'veth', 'peer', 'name', 'mvpeer');
ip('addr', 'add', '10.78.0.1/24', 'dev', 'mvpeer');
ip('link', 'set', 'mvparent', 'up');
ip('link', 'set', 'mvpeer', 'up');
const dnsmasq = spawn(
  'dnsmasq',
  [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--port=0',
    '--bind-interfaces',
    '--interface=br0',
    '--interface=mvpeer',
    '--except-interface=lo',
    `--dhcp-leasefile=${join(work, 'leases')}`,
    '--dhcp-range=10.77.0.10,10.77.0.200,255.255.255.0,1h',
    '--dhcp-range=10.78.0.10,10.78.0.200,255.255.255.0,1h',
    `--dhcp-host=${MAC0},${RESERVED}`,
    `--pid-file=${join(work, 'dnsmasq.pid')}`,
  ],
  { stdio: 'inherit' },
);

const result: Record<string, unknown> = {};
const key = await ensureKeyPair({ dir: join(work, 'keys') });
const driver = new QemuDriver({ root: join(work, 'instances') });
const vm = driver.instance('bridged');
try {
  await vm.create({
    baseImage,
    diskBytes: 1024 ** 3,
    cloudInit: cloudInitFiles({
      instanceId: 'iid-bridged',
      hostname: 'bridged',
      sshAuthorizedKeys: [key.publicKey],
      macAddress: MAC0,
      extraNics: [{ mac: MAC1, mode: 'auto' }],
    }),
  });
  const endpoint = await vm.start({
    cpus: 1,
    memoryBytes: 256 * 1024 ** 2,
    nics: [
      { mac: MAC0, attach: { kind: 'bridge', bridge: 'br0' } },
      { mac: MAC1, attach: { kind: 'macvtap', parent: 'mvparent' } },
    ],
    sshAddress: RESERVED,
  });
  result.endpoint = endpoint;
  result.endpointAfterStart = await vm.endpoint();
  result.bridgePorts = ip('-o', 'link', 'show', 'master', 'br0');
  result.macvtapsWhileRunning = links().match(/sk[0-9a-f]{8}m\d/g) ?? [];
  const shell = new OpenSshGuestShell();
  const target = {
    ...endpoint,
    user: 'ubuntu',
    keyPath: key.privateKeyPath,
    hostKey: { knownHostsFile: join(work, 'known_hosts'), alias: 'bridged', learn: true },
  };
  await shell.waitReady(target, { timeoutMs: 900_000 });
  const run = async (command: string) => (await shell.run(target, command, { timeoutMs: 60_000 })).stdout;
  if (flavor === 'real-cloud-init') {
    result.cloudInit = await waitForCloudInit(shell, target, AbortSignal.timeout(900_000));
    result.addresses = await run('ip -4 -o addr show scope global');
    result.routes = await run('ip -4 route');
  } else {
    result.eth0 = await run('cat /sys/class/net/eth0/address; ip -4 -o addr show dev eth0');
    result.eth1Lease = await run(
      'sudo ip link set eth1 up && sudo udhcpc -i eth1 -n -q -t 10 -T 1 -x hostname:bridged >/dev/null 2>&1; ' +
        'echo "udhcpc exit $?"; cat /sys/class/net/eth1/address; ip -4 -o addr show dev eth1',
    );
  }
  await vm.stop({ timeoutMs: 120_000 });
  result.powerAfterStop = await vm.power();
  result.macvtapsAfterStop = links().match(/sk[0-9a-f]{8}m\d/g) ?? [];
  result.tapsAfterStop = links().match(/sk[0-9a-f]{8}t\d/g) ?? [];
  result.leases = execFileSync('cat', [join(work, 'leases')], { encoding: 'utf8' });
} catch (error) {
  result.error = String((error as Error).stack ?? error);
} finally {
  await vm.destroy().catch(() => undefined);
  dnsmasq.kill('SIGKILL');
}
console.log(JSON.stringify(result));
