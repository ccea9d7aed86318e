/**
 * @module Benchmark of shared folders, in the guest, one run: sequential write and read of 256 MiB and an untar
 * of a 5,000-file tree on virtiofs, on 9p, on SSHFS (Multipass's default "classic" mount, the anchor: sshfs in
 * the guest in slave mode, its SFTP served by the host's own sftp-server over the SSH session) and on the
 * guest's own disk. virtiofs and 9p need different boots of the QEMU driver (9p is its fallback when no
 * virtiofsd exists), so the same VM is booted twice; SSHFS and the disk are measured in the first boot.
 * Targets (issue 10): untar on virtiofs at least 3x faster than on SSHFS; sequential read on virtiofs at least
 * 50% of the guest disk's. Under TCG the guest CPU bounds everything: compare rows within one run.
 * Run with `npm run bench:mount`; writes bench/results/mount.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QemuDriver } from '../src/backends/qemu/driver.js';
import { ensureKeyPair } from '../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../src/backends/ssh/session.js';
import { shellJoin, sshCommandArgs, type SshTarget } from '../src/core/ssh-args.js';
import type { MountShare } from '../src/services/instances/ports.js';
import { cloudInitFiles } from '../src/services/instances/seed/cloud-init.js';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';

const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);
const MIB = 256;
const FILES = 5000;
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

interface Row {
  fs: string;
  writeMiBps: number;
  readMiBps: number;
  untarS: number;
}

const shell = new OpenSshGuestShell({ maxSessions: 2 });

async function sh(target: SshTarget, command: string): Promise<string> {
  const result = await shell.run(target, command, { timeoutMs: 1_800_000 });
  if (result.code !== 0) throw new Error(`${command}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Seconds `command` takes in the guest, as root, by the guest's own clock (/proc/uptime: busybox date has no %N). */
async function timed(target: SshTarget, command: string): Promise<number> {
  const script = `a=$(cut -d" " -f1 /proc/uptime); ${command}; b=$(cut -d" " -f1 /proc/uptime); awk "BEGIN{print $b-$a}"`;
  const out = await sh(target, `sudo sh -c '${script}'`);
  return Number(out.split('\n').at(-1));
}

async function measure(target: SshTarget, fs: string, dir: string): Promise<Row> {
  await sh(target, `sudo mkdir -p ${dir} && sudo rm -rf ${dir}/bench && sudo mkdir ${dir}/bench`);
  const write = await timed(
    target,
    `dd if=/dev/zero of=${dir}/bench/big bs=1M count=${MIB} conv=fsync 2>/dev/null`,
  );
  const read = await timed(
    target,
    `sync; echo 3 > /proc/sys/vm/drop_caches; dd if=${dir}/bench/big of=/dev/null bs=1M 2>/dev/null`,
  );
  const untar = await timed(target, `tar -xf /var/tmp/tree.tar -C ${dir}/bench && sync`);
  await sh(target, `sudo rm -rf ${dir}/bench`);
  const row = { fs, writeMiBps: round1(MIB / write), readMiBps: round1(MIB / read), untarS: round1(untar) };
  console.log(JSON.stringify(row));
  return row;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** sshfs in the guest (slave mode) with the host's sftp-server on the other end of the SSH session. */
async function sshfsMount(target: SshTarget, source: string, at: string): Promise<() => void> {
  await sh(target, `sudo mkdir -p ${at}`);
  const ssh = spawn(
    'ssh',
    sshCommandArgs(target, shellJoin(['sudo', 'sshfs', '-o', 'slave,allow_other', `:${source}`, at])),
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const server = spawn(SFTP_SERVER, ['-d', source], { stdio: ['pipe', 'pipe', 'inherit'] });
  ssh.stdout.pipe(server.stdin);
  server.stdout.pipe(ssh.stdin);
  for (let i = 0; i < 100; i++) {
    if ((await sh(target, `awk '$2 == "${at}"' /proc/mounts`)) !== '') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return () => {
    ssh.kill();
    server.kill();
  };
}

async function main() {
  const image = await buildTestImage();
  const root = await mkdtemp(join(tmpdir(), 'skiff-bench-mount-'));
  const source = join(root, 'share');
  await mkdir(source, { recursive: true });
  const key = await ensureKeyPair({ dir: join(root, 'keys') });
  const share: MountShare = { tag: 'bench', source, uidMap: [], gidMap: [] };
  const rows: Row[] = [];
  for (const flavor of ['virtiofs', '9p'] as const) {
    const driver = new QemuDriver({
      root: join(root, flavor),
      ...(flavor === '9p' ? { virtiofsd: join(root, 'no-virtiofsd') } : {}),
    });
    const vm = driver.instance('bench');
    try {
      await vm.create({
        baseImage: image,
        diskBytes: 4 * 1024 ** 3,
        cloudInit: cloudInitFiles({
          instanceId: `iid-${flavor}`,
          hostname: 'bench',
          sshAuthorizedKeys: [key.publicKey],
        }),
      });
      const endpoint = await vm.start({
        cpus: 2,
        memoryBytes: 1024 ** 3,
        nics: [{ mac: '52:54:00:be:0f:01', attach: { kind: 'user' } }],
        mounts: [share],
      });
      const target: SshTarget = {
        ...endpoint,
        user: 'ubuntu',
        keyPath: key.privateKeyPath,
        hostKey: {
          knownHostsFile: join(root, `known_hosts-${flavor}`),
          alias: `bench-${flavor}`,
          learn: true,
        },
      };
      await shell.waitReady(target, { timeoutMs: 600_000 });
      // The tree to untar: 5,000 small files in 50 directories, made in the guest on its own disk.
      await sh(
        target,
        `cd /var/tmp && rm -rf tree && for d in $(seq 1 50); do mkdir -p tree/d$d; ` +
          `for f in $(seq 1 ${FILES / 50}); do echo "file $d/$f" > tree/d$d/f$f; done; done && tar -cf tree.tar tree`,
      );
      const options = flavor === '9p' ? '-o trans=virtio,version=9p2000.L,msize=262144 ' : '';
      await sh(target, `sudo mkdir -p /mnt/share && sudo mount -t ${flavor} ${options}bench /mnt/share`);
      rows.push(await measure(target, flavor, '/mnt/share'));
      if (flavor === 'virtiofs') {
        rows.push(await measure(target, 'guest disk', '/var/tmp/disk'));
        const unmount = await sshfsMount(target, source, '/mnt/sshfs');
        try {
          rows.push(await measure(target, 'sshfs (classic)', '/mnt/sshfs'));
        } finally {
          await sh(target, 'sudo umount /mnt/sshfs || true');
          unmount();
        }
      }
      await vm.stop({ force: true });
    } finally {
      await vm.destroy().catch(() => undefined);
    }
  }
  const by = (fs: string) => rows.find((r) => r.fs === fs);
  const virtiofs = by('virtiofs');
  const sshfs = by('sshfs (classic)');
  const disk = by('guest disk');
  const result = {
    date: new Date().toISOString(),
    note: 'QEMU under TCG on this host; 256 MiB dd with fsync, caches dropped before the read; 5,000-file untar',
    rows,
    targets: {
      untarVirtiofsVsSshfs: virtiofs && sshfs ? round1(sshfs.untarS / virtiofs.untarS) : null,
      untarTarget: '>= 3x faster than sshfs',
      readVirtiofsVsDisk: virtiofs && disk ? Number((virtiofs.readMiBps / disk.readMiBps).toFixed(2)) : null,
      readTarget: '>= 0.5 of the guest disk',
    },
  };
  console.table(rows);
  console.log(JSON.stringify(result.targets));
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(new URL('mount.json', RESULTS_DIR), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(root, 'done'), '');
  await rm(root, { recursive: true, force: true });
}

await main();
