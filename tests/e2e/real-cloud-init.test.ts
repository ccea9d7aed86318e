/**
 * End to end against what skiff did not write: a Debian 12 image with Debian's real cloud-init 22.4
 * (images/cloudinit-image/), so every seed skiff makes is read by cloud-init's own YAML 1.1 reader, MIME parser
 * and mergers. Two boots (about 2-3 min each under TCG):
 * 1. through skiffd and the CLI: a #cloud-config full of YAML 1.1 traps, a `users` list without skiff's user,
 *    and a runcmd that fails: what the guest really did is checked through exec, and the failure is a warning;
 *    then a virtiofs mount and `transfer` both ways, against Debian's kernel and sftp-server.
 * 2. through the QEMU backend with a seed made by cloud-init.ts: a `#!` script as user-data and an all-digit MAC
 *    in network-config (a sexagesimal number to YAML 1.1 if unquoted: cloud-init would crash, no network).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { writeSeedIso } from '../../src/backends/iso/seed-iso.js';
import { QemuBackend } from '../../src/backends/qemu/backend.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../../src/backends/ssh/session.js';
import type { VmLaunchSpec } from '../../src/backends/qemu/machine.js';
import type { SshTarget } from '../../src/core/ssh-args.js';
import { knownHostsLine } from '../../src/core/ssh-args.js';
import { waitForCloudInit } from '../../src/services/instances/cloud-init-wait.js';
import { freeLoopbackPort } from '../harness/qemu-test-vm.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { REPO_ROOT, SkiffDaemon, type CliResult } from '../harness/skiff-process.js';

const run = promisify(execFile);
const BOOT_S = 900;

/** Builds the image with the real cloud-init, or reuses the cached one. @returns its path */
async function realCloudInitImage(): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'images/cloudinit-image/build.sh')], {
    timeout: 30 * 60_000,
    maxBuffer: 64 << 20,
  });
  return stdout.trim().split('\n').at(-1)!.trim();
}

const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

describe('the real cloud-init reads what skiff writes', { timeout: 40 * 60_000 }, () => {
  let work: string;
  let image: string;
  let mirror: ServedMirror | undefined;
  let daemon: SkiffDaemon | undefined;
  const backend = new QemuBackend();
  let direct: VmLaunchSpec | undefined;

  before(async () => {
    image = await realCloudInitImage();
    work = await mkdtemp(join(tmpdir(), 'skiff-real-ci-'));
  });

  after(async () => {
    if (daemon) {
      await daemon.cli(['delete', '--purge', '--all']).catch(() => undefined);
      await daemon.stop();
    }
    mirror?.stop();
    if (direct) await backend.kill(direct.dir).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('launch: YAML 1.1 traps mean what the user wrote; a failing module is a warning; keys only for ubuntu', async () => {
    // Debian's own version numbering, which `mirror build` used to refuse.
    await publishImage(join(work, 'mirror'), image, {
      release: 'bookworm',
      version: '12',
      aliases: 'bookworm,debian',
      title: '12',
      os: 'debian',
      streams: ['releases'],
    });
    mirror = await serveMirror(join(work, 'mirror'));
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(work, 'data') });
    const userData = join(work, 'traps.yaml');
    await writeFile(
      userData,
      [
        '#cloud-config',
        'users:',
        '  - default',
        '  - name: alice',
        '    shell: /bin/bash',
        'write_files:',
        '  - path: /etc/skiff-traps/on',
        '    content: "on"',
        '  - path: /etc/skiff-traps/no',
        '    content: "no"',
        '  - path: /etc/skiff-traps/time',
        '    content: "1:20"',
        '  - path: /etc/skiff-traps/mode',
        '    content: "0640"',
        '    permissions: "0640"',
        'runcmd:',
        '  - [sh, -c, "echo ran > /var/tmp/runcmd-ran"]',
        '  - [sh, -c, "echo failing on purpose; exit 3"]',
        '',
      ].join('\n'),
    );
    const launch = await daemon.cli(
      [
        'launch',
        'bookworm',
        '-n',
        'real',
        '-c',
        '2',
        '-m',
        '1G',
        '-d',
        '4G',
        '--cloud-init',
        userData,
        '--timeout',
        String(BOOT_S),
      ],
      { timeoutMs: (BOOT_S + 60) * 1000 },
    );
    ok(launch, 'launch');
    assert.match(launch.stdout, /^Launched: real$/m);
    assert.match(launch.stderr, /warning: cloud-init in "real" finished with errors \(status: error\)/);
    assert.match(launch.stderr, /scripts_user|runcmd/, 'the failing module is named');
    assert.match(launch.stderr, /\/var\/log\/cloud-init-output\.log/);

    const exec = async (command: string) => {
      const result = await daemon!.cli(['exec', 'real', '--', 'sh', '-c', command]);
      ok(result, command);
      return result.stdout;
    };
    assert.equal(await exec('cat /etc/skiff-traps/on'), 'on');
    assert.equal(await exec('cat /etc/skiff-traps/no'), 'no');
    assert.equal(await exec('cat /etc/skiff-traps/time'), '1:20');
    assert.equal(await exec('stat -c %a /etc/skiff-traps/mode'), '640\n');
    assert.equal(await exec('cat /var/tmp/runcmd-ran'), 'ran\n');
    // The user's list is theirs (alice, the default user) plus skiff's login user.
    assert.equal(await exec('id -un'), 'ubuntu\n');
    assert.match(await exec('getent passwd alice debian'), /^alice:.*\ndebian:/);
    // Only the user skiff logs in as has the daemon's key.
    assert.match(await exec('cat ~/.ssh/authorized_keys'), /skiffd/);
    assert.doesNotMatch(
      await exec('sudo cat /home/debian/.ssh/authorized_keys 2>/dev/null || true'),
      /skiffd/,
    );
    // manage_etc_hosts: the hostname resolves, so sudo does not complain.
    assert.match(await exec('getent hosts real'), /\sreal(\s|$)/);
    const sudo = await daemon.cli(['exec', 'real', '--', 'sudo', 'true']);
    ok(sudo, 'sudo true');
    assert.doesNotMatch(sudo.stderr, /unable to resolve host/);
    assert.match(await exec('cloud-init --version 2>&1'), /22\.4/, 'this is the real cloud-init');

    // Mounts and transfer on a guest skiff did not build: Debian's cloud kernel mounts the virtiofs share, and
    // Debian's own sftp-server takes the transfer.
    const shared = join(work, 'shared');
    await mkdir(shared);
    await writeFile(join(shared, 'hello.txt'), 'hello from the host\n');
    ok(await daemon.cli(['mount', shared, 'real:/mnt/shared']), 'mount');
    assert.equal(await exec('cat /mnt/shared/hello.txt'), 'hello from the host\n');
    await exec('echo from the guest | sudo tee /mnt/shared/back.txt');
    assert.equal(await readFile(join(shared, 'back.txt'), 'utf8'), 'from the guest\n');
    ok(await daemon.cli(['umount', 'real:/mnt/shared']), 'umount');
    ok(await daemon.cli(['transfer', userData, 'real:uploaded.yaml']), 'transfer in');
    assert.equal(await exec('cat uploaded.yaml'), await readFile(userData, 'utf8'));
    ok(await daemon.cli(['transfer', 'real:/etc/hostname', join(work, 'hostname')]), 'transfer out');
    assert.equal(await readFile(join(work, 'hostname'), 'utf8'), 'real\n');
  });

  test('a #! script as user-data and an all-digit MAC in network-config, read by the real cloud-init', async () => {
    const dir = join(work, 'direct');
    await mkdir(dir, { recursive: true });
    const keys = await ensureKeyPair({ dir: join(work, 'keys') });
    const host = await ensureKeyPair({ dir: join(work, 'keys'), name: 'host_ed25519', comment: 'direct' });
    const sshPort = await freeLoopbackPort();
    direct = {
      name: 'direct',
      dir,
      cpus: 2,
      memoryBytes: 1024 ** 3,
      nics: [{ kind: 'user', mac: '52:54:00:12:34:56', sshPort }],
      accel: (await backend.detectAccelerator()).accel,
    };
    await backend.createDisk({ dir, baseImage: image, diskBytes: 4 * 1024 ** 3 });
    const files = cloudInitFiles({
      instanceId: 'iid-direct',
      hostname: 'direct',
      sshAuthorizedKeys: [keys.publicKey],
      userData: '#!/bin/sh\necho "script ran as $(id -un)" > /var/tmp/script-ran\n',
      macAddress: '52:54:00:12:34:56',
      hostKey: { privateKey: await readFile(host.privateKeyPath, 'utf8'), publicKey: host.publicKey },
    });
    assert.match(files['network-config'] ?? '', /macaddress: "52:54:00:12:34:56"/);
    await writeSeedIso({ dir, files });
    await backend.start(direct);
    const shell = new OpenSshGuestShell();
    // The host key skiff gave the guest is pinned from the first connection: strict checking, nothing learnt.
    await writeFile(join(work, 'known_hosts'), knownHostsLine('direct', host.publicKey));
    const target: SshTarget = {
      host: '127.0.0.1',
      port: sshPort,
      user: 'ubuntu',
      keyPath: keys.privateKeyPath,
      hostKey: { knownHostsFile: join(work, 'known_hosts'), alias: 'direct' },
    };
    // SSH through QEMU's forward reaches only a guest whose NIC came up from network-config.
    await shell.waitReady(target, { timeoutMs: BOOT_S * 1000 });
    const outcome = await waitForCloudInit(shell, target, AbortSignal.timeout(BOOT_S * 1000));
    assert.deepEqual(outcome, { status: 'done', errors: [] });
    const sh = async (command: string) => {
      const result = await shell.run(target, command, { timeoutMs: 60_000 });
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      return result.stdout;
    };
    assert.equal(await sh('cat /var/tmp/script-ran'), 'script ran as root\n');
    assert.match(await sh('cat /etc/systemd/network/*.network'), /MACAddress=52:54:00:12:34:56/i);
    assert.match(await sh('ip -4 -o addr show scope global'), /inet 10\.0\.2\.15\//);
    assert.equal(await sh('hostname'), 'direct\n');
  });
});
