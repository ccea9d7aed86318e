/**
 * Remote use on loopback: skiffd --address serves HTTPS; a client (its own config dir, as a user on another
 * machine would have) pins the server's certificate on first use, is refused until it authenticates with the
 * passphrase (wrong ones refused and slowed down), then served; a changed server certificate is refused. A
 * daemon without --address listens on no TCP port at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../../src/backends/host/free-port.js';
import { fingerprintOf } from '../../src/core/certificate.js';
import { MirrorServer } from '../harness/mirror-server.js';
import { SkiffDaemon, runSkiff } from '../harness/skiff-process.js';

const NOT_AUTHENTICATED =
  "The client is not authenticated with the skiff service.\nPlease use 'skiff authenticate' before proceeding.";

/** The TCP ports `pid` listens on (from /proc: its socket inodes in LISTEN state in tcp and tcp6). */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('remote use over TLS', { timeout: 5 * 60_000 }, () => {
  const mirror = new MirrorServer();
  let mirrorUrl: string;
  let daemon: SkiffDaemon;
  let port: number;
  let clientConfig: string;
  const remote = (args: string[]) =>
    runSkiff(args, {
      env: {
        SKIFF_SERVER_ADDRESS: `127.0.0.1:${port}`,
        XDG_CONFIG_HOME: clientConfig,
        SKIFF_NO_AUTOSTART: '1',
        NO_COLOR: '1',
      },
    });

  before(async () => {
    mirrorUrl = await mirror.start();
    port = await freeLoopbackPort();
    clientConfig = await mkdtemp(join(tmpdir(), 'skiff-remote-client-'));
    daemon = await SkiffDaemon.start({ mirror: mirrorUrl, args: ['--address', `127.0.0.1:${port}`] });
  });

  after(async () => {
    await daemon?.stop();
    await mirror.close();
    await rm(clientConfig, { recursive: true, force: true });
  });

  test('the certificate is made on first start, private, and the daemon listens on that one TCP port', async () => {
    const certPath = join(daemon.dataDir, 'tls', 'server.pem');
    for (const file of [certPath, join(daemon.dataDir, 'tls', 'server-key.pem')])
      assert.equal((await stat(file)).mode & 0o777, 0o600, file);
    const fingerprint = fingerprintOf(await readFile(certPath, 'utf8'));
    assert.match(daemon.logs(), new RegExp(fingerprint));
    assert.deepEqual(await listeningPorts(daemon.child.pid!), [port]);
  });

  test('first contact pins the server, the unknown client is refused with Multipass words (exit 2)', async () => {
    const fingerprint = fingerprintOf(await readFile(join(daemon.dataDir, 'tls', 'server.pem'), 'utf8'));
    const first = await remote(['list']);
    assert.equal(first.code, 2, first.stderr);
    assert.ok(first.stderr.includes(NOT_AUTHENTICATED), first.stderr);
    assert.ok(first.stderr.includes(`first connection to skiffd at 127.0.0.1:${port}`), first.stderr);
    assert.ok(first.stderr.includes(fingerprint), 'the fingerprint is shown');
    const known = join(clientConfig, 'skiff', 'known-servers');
    assert.match(await readFile(known, 'utf8'), new RegExp(`^127\\.0\\.0\\.1:${port} ${fingerprint} `, 'm'));
    for (const file of [known, join(clientConfig, 'skiff', 'client-certificate', 'client-key.pem')])
      assert.equal((await stat(file)).mode & 0o777, 0o600, file);
    const again = await remote(['list']);
    assert.equal(again.code, 2);
    assert.ok(!again.stderr.includes('first connection'), 'pinned once, not asked again');
    const version = await remote(['version']);
    assert.equal(version.code, 0, version.stderr);
    assert.doesNotMatch(version.stdout, /skiffd/, 'an untrusted client learns nothing of the daemon');
  });

  test('authenticate: refused without a passphrase set; the passphrase is stored hashed, shown as *****', async () => {
    const early = await remote(['authenticate', 'anything']);
    assert.equal(early.code, 2);
    assert.match(
      early.stderr,
      /Passphrase is not set\. Please `skiff set local\.passphrase` with a trusted client\./,
    );
    assert.equal((await daemon.cli(['set', 'local.passphrase=open sesame'])).code, 0);
    assert.equal((await daemon.cli(['get', 'local.passphrase'])).stdout, '*****\n');
    const settings = await readFile(join(daemon.dataDir, 'settings.json'), 'utf8');
    assert.ok(!settings.includes('open sesame'));
    assert.match(settings, /scrypt\$/);
  });

  test('a wrong passphrase is refused and slows that client down; then the right one lets it in', async () => {
    const wrong = await remote(['authenticate', 'open sesam']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Passphrase is not correct\. Please try again\./);
    const wait = Number(/may try again in (\d+) s/.exec(wrong.stderr)?.[1]);
    assert.ok(wait >= 1, wrong.stderr);
    // During the wait even the right passphrase is not looked at.
    const early = await remote(['authenticate', 'open sesame']);
    assert.equal(early.code, 2);
    assert.match(early.stderr, /too many wrong passphrases from this client: not checked/);
    assert.equal((await remote(['list'])).code, 2, 'still not trusted');
    await sleep(wait * 1000 + 200);
    const right = await remote(['authenticate', 'open sesame']);
    assert.equal(right.code, 0, right.stderr);
    const list = await remote(['list', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), { list: [] });
    assert.match((await remote(['version'])).stdout, /skiffd/);
    const trusted = JSON.parse(await readFile(join(daemon.dataDir, 'trusted-clients.json'), 'utf8')) as {
      data: { certificates: { fingerprint: string }[] };
    };
    const mine = fingerprintOf(
      await readFile(join(clientConfig, 'skiff', 'client-certificate', 'client.pem'), 'utf8'),
    );
    assert.deepEqual(
      trusted.data.certificates.map((c) => c.fingerprint),
      [mine],
    );
  });

  test('a changed server certificate is refused, saying how to trust the new one', async () => {
    await daemon.stop({ keepData: true });
    await rm(join(daemon.dataDir, 'tls'), { recursive: true });
    daemon = await SkiffDaemon.start({
      mirror: mirrorUrl,
      dataDir: daemon.dataDir,
      args: ['--address', `127.0.0.1:${port}`],
    });
    const changed = await remote(['list']);
    assert.equal(changed.code, 3, changed.stderr);
    const now = fingerprintOf(await readFile(join(daemon.dataDir, 'tls', 'server.pem'), 'utf8'));
    assert.ok(
      changed.stderr.includes(`the certificate of skiffd at 127.0.0.1:${port} has changed`),
      changed.stderr,
    );
    assert.ok(changed.stderr.includes(now), 'names the new fingerprint');
    assert.match(changed.stderr, /delete the line for 127\.0\.0\.1:\d+ from .*known-servers/);
    assert.doesNotMatch(changed.stderr, /"list"|\[\]/);
  });
});

test('without --address skiffd listens on no TCP port', async () => {
  const mirror = new MirrorServer();
  const daemon = await SkiffDaemon.start({ mirror: await mirror.start() });
  try {
    assert.deepEqual(await listeningPorts(daemon.child.pid!), []);
    assert.equal((await daemon.cli(['list'])).code, 0);
  } finally {
    await daemon.stop();
    await mirror.close();
  }
});
