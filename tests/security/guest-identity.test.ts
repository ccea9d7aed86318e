/**
 * exec and shell reach the real guest or fail (issue: a local user binding a dead guest's forwarded port must
 * receive nothing). Real skiffd, real QEMU guests of the test image:
 * - each guest presents the ed25519 host key skiff gave it, pinned in the instance's known_hosts;
 * - with QEMU gone, exec refuses before connecting, whatever listens on the old port;
 * - an impostor SSH server on the port (here: another guest, behind a TCP relay) fails host key verification
 *   and is sent no command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sshCommandArgs } from '../../src/core/ssh-args.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { SkiffDaemon, type CliResult } from '../harness/skiff-process.js';

const run = promisify(execFile);
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

/** A TCP relay on `port` to `targetPort` on loopback, counting the connections it got. */
function relay(port: number, targetPort: number): Promise<{ server: Server; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, connections: () => count }));
  });
}

interface Record_ {
  name: string;
  sshPort: number;
  hostKey?: string | null;
}

describe('exec and shell reach the real guest or fail', { timeout: 10 * 60_000 }, () => {
  let work: string;
  let mirror: ServedMirror;
  let daemon: SkiffDaemon;
  const records = async (): Promise<Record_[]> =>
    (JSON.parse(await readFile(join(daemon.dataDir, 'instances.json'), 'utf8')) as { data: Record_[] }).data;
  const record = async (name: string) => (await records()).find((r) => r.name === name)!;

  before(async () => {
    const image = await buildTestImage();
    work = await mkdtemp(join(tmpdir(), 'skiff-sec-'));
    await publishImage(join(work, 'mirror'), image);
    mirror = await serveMirror(join(work, 'mirror'));
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(work, 'data') });
    for (const name of ['real', 'other'])
      ok(await daemon.cli(['launch', 'noble', '-n', name, '-m', '512M', '-d', '1G']), `launch ${name}`);
  });

  after(async () => {
    if (daemon) {
      await daemon.cli(['delete', '--purge', '--all']).catch(() => undefined);
      await daemon.stop();
    }
    mirror?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('the guest presents the host key skiff gave it, pinned in the instance known_hosts', async () => {
    const { hostKey } = await record('real');
    assert.match(hostKey ?? '', /^ssh-ed25519 AAAA\S+/);
    const material = hostKey!.split(/\s+/)[1]!;
    const knownHosts = await readFile(join(daemon.dataDir, 'guests', 'real', 'known_hosts'), 'utf8');
    assert.equal(knownHosts, `skiff-instance-real ssh-ed25519 ${material}\n`);
    const inGuest = await daemon.cli([
      'exec',
      'real',
      '--',
      'sudo',
      'dropbearkey',
      '-y',
      '-f',
      '/etc/dropbear/dropbear_ed25519_host_key',
    ]);
    ok(inGuest, 'read the guest host key');
    assert.ok(inGuest.stdout.includes(material), 'the guest uses the key skiff gave it');
    const other = await record('other');
    assert.notEqual(other.hostKey?.split(/\s+/)[1], material, 'each instance has its own key');
  });

  test('an impostor SSH server on the port fails host key verification and gets no command', async () => {
    // "other" stands in for an impostor: a real SSH server with another key, reached on a port of its own.
    const real = await record('real');
    const other = await record('other');
    const { server, connections } = await relay(0, other.sshPort);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const target = {
        host: '127.0.0.1',
        port,
        user: 'ubuntu',
        keyPath: join(daemon.dataDir, 'ssh', 'id_ed25519'),
        hostKey: {
          knownHostsFile: join(daemon.dataDir, 'guests', 'real', 'known_hosts'),
          alias: 'skiff-instance-real',
        },
      };
      const result = await run('ssh', sshCommandArgs(target, 'touch /tmp/impostor-got-it'), {
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(result.code, 255);
      assert.match(result.stderr, /host key/i);
      assert.ok(connections() >= 1, 'the impostor was contacted');
      ok(
        await daemon.cli(['exec', 'other', '--', 'test', '!', '-e', '/tmp/impostor-got-it']),
        'no command ran',
      );
      assert.ok(real.sshPort !== port);
    } finally {
      server.close();
    }
  });

  test('with QEMU gone, exec refuses before connecting, whoever holds the old port', async () => {
    const real = await record('real');
    const pid = Number(
      (await readFile(join(daemon.dataDir, 'instances', 'real', 'qemu.pid'), 'utf8')).trim(),
    );
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {
        break;
      }
    }
    const { server, connections } = await relay(real.sshPort, (await record('other')).sshPort);
    try {
      const exec = await daemon.cli(['exec', 'real', '--', 'touch', '/tmp/impostor-got-it']);
      assert.equal(exec.code, 2, exec.stderr);
      assert.match(exec.stderr, /not running|Stopped/i);
      assert.equal(connections(), 0, 'nothing connected to whatever holds the port');
      ok(
        await daemon.cli(['exec', 'other', '--', 'test', '!', '-e', '/tmp/impostor-got-it']),
        'no command ran',
      );
    } finally {
      server.close();
    }
  });
});
