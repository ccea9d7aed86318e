/**
 * @module End to end: skiff's test image (images/test-image/, built or reused from its cache) boots under QEMU
 * TCG from a qcow2 overlay grown to 2G with a NoCloud seed ISO, like skiff will launch an Ubuntu cloud image.
 * Checks SSH with the seeded keys (top level and users: entry), hostname, runcmd (both forms), write_files,
 * cloud-init status and boot-finished, exit status through ssh, the grown root filesystem, sudo, and that a
 * file written in the guest survives a power-button shutdown (QMP system_powerdown) and a second boot, where
 * runcmd does not run again (same instance-id).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildTestImage,
  createOverlay,
  generateSshKey,
  QemuTestVm,
  writeSeedIso,
  type CommandResult,
  type SshKey,
} from '../harness/qemu-test-vm.js';

const HOSTNAME = 'e2e-host';
const MARKER = '/var/tmp/skiff-e2e-runcmd';
const RUNS = '/var/tmp/skiff-e2e-runs';
const WRITTEN = '/etc/skiff-e2e/written.txt';
const WRITTEN_CONTENT = 'written by write_files\nsecond line\n';
const DEFERRED = '/home/ubuntu/deferred.txt';
const DEFERRED_CONTENT = 'deferred, base64-encoded\n';

describe('test image under QEMU TCG', () => {
  let dir = '';
  let disk = '';
  let seed = '';
  let key: SshKey;
  let usersKey: SshKey;
  let vm: QemuTestVm | undefined;
  const timings: string[] = [];

  const ssh = async (command: string, user = 'ubuntu', keyPath = key.path): Promise<CommandResult> => {
    assert.ok(vm, 'VM started');
    return vm.ssh({ keyPath, user }, command);
  };
  /** Runs a command that must succeed; returns its stdout. */
  const sshOk = async (command: string): Promise<string> => {
    const result = await ssh(command);
    assert.equal(result.code, 0, `${command}: exit ${result.code}, stderr: ${result.stderr}`);
    return result.stdout;
  };
  const boot = async (): Promise<void> => {
    vm = await QemuTestVm.start({ disk, seedIso: seed, workDir: dir });
    await vm.waitForSsh({ keyPath: key.path }, 180_000);
    timings.push(`boot to SSH ${((Date.now() - vm.startedAt) / 1000).toFixed(1)} s`);
  };

  before(
    async () => {
      const started = Date.now();
      const image = await buildTestImage();
      timings.push(`image ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      dir = await mkdtemp(join(tmpdir(), 'skiff-e2e-image-'));
      key = await generateSshKey(dir, 'id_top');
      usersKey = await generateSshKey(dir, 'id_users');
      disk = join(dir, 'disk.qcow2');
      await createOverlay(image, disk, '2G');
      seed = join(dir, 'seed.iso');
      await writeSeedIso(seed, {
        'meta-data': `instance-id: iid-e2e-${randomBytes(4).toString('hex')}\nlocal-hostname: ${HOSTNAME}\n`,
        'user-data': [
          '#cloud-config',
          'users:',
          '  - default',
          '  - name: ubuntu',
          '    ssh_authorized_keys:',
          `      - ${usersKey.publicKey}`,
          'ssh_authorized_keys:',
          `  - ${key.publicKey}`,
          'runcmd:',
          `  - echo ran > ${MARKER}`,
          `  - [sh, -c, "date +%s >> ${RUNS}"]`,
          'write_files:',
          `  - path: ${WRITTEN}`,
          '    permissions: "0640"',
          '    content: |',
          ...WRITTEN_CONTENT.trimEnd()
            .split('\n')
            .map((line) => `      ${line}`),
          `  - path: ${DEFERRED}`,
          '    encoding: b64',
          `    content: ${Buffer.from(DEFERRED_CONTENT).toString('base64')}`,
          '    owner: ubuntu:ubuntu',
          '    defer: true',
          '',
        ].join('\n'),
      });
      await boot();
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    await vm?.kill().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (timings.length) console.log(`# test image timings: ${timings.join(', ')}`);
  });

  test('SSH with the seeded keys passes output and exit status', async () => {
    const result = await ssh('echo hi; exit 3');
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, 'hi\n');
    const viaUsersEntry = await ssh('id -un', 'ubuntu', usersKey.path);
    assert.equal(viaUsersEntry.code, 0, viaUsersEntry.stderr);
    assert.equal(viaUsersEntry.stdout.trim(), 'ubuntu');
    const home = await sshOk(`echo $HOME; awk -F: '$1 == "ubuntu" {print $7}' /etc/passwd`);
    assert.equal(home, '/home/ubuntu\n/bin/sh\n');
  });

  test('cloud-init finished: status done, boot-finished written', async () => {
    assert.match(await sshOk('cloud-init status --wait'), /status: done\n$/);
    assert.equal(await sshOk('cloud-init status'), 'status: done\n');
    await sshOk('test -f /var/lib/cloud/instance/boot-finished');
  });

  test('hostname from local-hostname', async () => {
    assert.equal((await sshOk('hostname')).trim(), HOSTNAME);
  });

  test('runcmd ran once, in both forms', async () => {
    await sshOk('cloud-init status --wait');
    assert.equal(await sshOk(`cat ${MARKER}`), 'ran\n');
    assert.equal((await sshOk(`cat ${RUNS}`)).trim().split('\n').length, 1);
  });

  test('write_files wrote content, mode and owner (plain, and deferred base64)', async () => {
    assert.equal(await sshOk(`sudo cat ${WRITTEN}`), WRITTEN_CONTENT);
    assert.equal((await sshOk(`stat -c '%a %U:%G' ${WRITTEN}`)).trim(), '640 root:root');
    await sshOk('cloud-init status --wait');
    assert.equal(await sshOk(`cat ${DEFERRED}`), DEFERRED_CONTENT);
    assert.equal((await sshOk(`stat -c '%a %U:%G' ${DEFERRED}`)).trim(), '644 ubuntu:ubuntu');
  });

  test('passwordless sudo for the default user', async () => {
    assert.equal((await sshOk('sudo -n id -u')).trim(), '0');
  });

  test('os-release names the test image, not Ubuntu', async () => {
    const osRelease = await sshOk('cat /etc/os-release');
    assert.match(osRelease, /^ID=skiff-testimage$/m);
    assert.doesNotMatch(osRelease, /^ID=ubuntu/m);
  });

  test('the root filesystem grew to the 2G disk', async () => {
    const df = await sshOk('df -k /');
    const sizeKiB = Number(df.trim().split('\n')[1]?.trim().split(/\s+/)[1]);
    assert.ok(sizeKiB > 1.5 * 1024 * 1024, `df / reports ${sizeKiB} KiB:\n${df}`);
    const loadavg = await sshOk('cat /proc/loadavg');
    assert.match(loadavg, /^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+\n$/);
    assert.match(await sshOk('cat /proc/meminfo'), /^MemTotal:\s+\d+ kB$/m);
  });

  test('writes persist across a power-button shutdown and a second boot; runcmd does not run again', async () => {
    assert.ok(vm);
    const token = randomBytes(8).toString('hex');
    await sshOk(`echo ${token} > ~/persist.txt && sync`);
    const rss = await vm.rssKiB();
    if (rss) timings.push(`qemu RSS ${Math.round(rss / 1024)} MiB`);
    const shutdownMs = await vm.powerdown(20_000);
    timings.push(`power-button shutdown ${(shutdownMs / 1000).toFixed(1)} s`);

    await boot();
    assert.equal((await sshOk('cat ~/persist.txt')).trim(), token);
    assert.match(await sshOk('cloud-init status --wait'), /status: done\n$/);
    assert.equal((await sshOk(`cat ${RUNS}`)).trim().split('\n').length, 1, 'runcmd ran again');
    assert.equal((await sshOk('hostname')).trim(), HOSTNAME);
    const df = await sshOk('df -k / | tail -1');
    assert.ok(Number(df.trim().split(/\s+/)[1]) > 1.5 * 1024 * 1024, df);
  });
});
