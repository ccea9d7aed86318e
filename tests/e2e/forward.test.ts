/**
 * End to end: `skiff forward` with a real QEMU guest in user-mode networking (QEMU's own hostfwd, added over
 * QMP): a web server in the guest (the test image's busybox httpd) reached from the host through the forward,
 * across stop/start, a daemon restart and a killed daemon; `forward list` in table and JSON; `forward remove`
 * closes the host port. The NAT-mode path (a relay in the daemon) is tested in
 * tests/integration/forward-relay.test.ts and end to end in tests/netns/forward-nat.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { publishImage, serveMirror, type ServedMirror } from '../harness/local-mirror.js';
import { SkiffDaemon, sleep, type CliResult } from '../harness/skiff-process.js';

const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

/** GET / on 127.0.0.1:port: the body, or the error code (ECONNREFUSED when nothing listens). */
function fetchText(port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.end();
  });
}

/** Retries while the guest's server is coming up behind the forward (slirp resets until it listens). */
async function fetchSoon(port: number, expected: string, limitMs = 60_000): Promise<string> {
  const end = Date.now() + limitMs;
  let last = '';
  while (Date.now() < end) {
    last = await fetchText(port);
    if (last === expected) return last;
    await sleep(500);
  }
  return last;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('port forwarding into a user-mode guest', { timeout: 30 * 60_000 }, () => {
  let work: string;
  let mirror: ServedMirror;
  let daemon: SkiffDaemon;
  let dataDir: string;
  let port: number;
  const PAGE = 'hello from the guest\n';

  /** Starts busybox httpd on port 8080 in the guest (again after each boot). */
  const serve = async () =>
    ok(
      await daemon.cli([
        'exec',
        'fwd',
        '--',
        'sh',
        '-c',
        `mkdir -p /var/tmp/www && printf '${PAGE.replace('\n', '\\n')}' > /var/tmp/www/index.html && ` +
          'busybox httpd -p 8080 -h /var/tmp/www </dev/null >/dev/null 2>&1',
      ]),
      'httpd in the guest',
    );
  const listJson = async () =>
    (
      JSON.parse((await daemon.cli(['forward', 'list', '--format', 'json'])).stdout) as {
        forwards: Array<Record<string, unknown>>;
      }
    ).forwards;

  before(async () => {
    const image = await buildTestImage();
    work = await mkdtemp(join(tmpdir(), 'skiff-e2e-fwd-'));
    await publishImage(join(work, 'mirror'), image);
    mirror = await serveMirror(join(work, 'mirror'));
    dataDir = join(work, 'data');
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    ok(
      await daemon.cli(['launch', 'noble', '-n', 'fwd', '-m', '512M', '-d', '2G'], { timeoutMs: 900_000 }),
      'launch',
    );
    port = await freePort();
  });

  after(async () => {
    if (daemon) {
      await daemon.cli(['delete', '--purge', 'fwd']).catch(() => undefined);
      await daemon.stop({ keepData: true });
    }
    mirror?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('add: the host port reaches the guest server; list shows it active (table and JSON)', async () => {
    await serve();
    const added = await daemon.cli(['forward', 'add', 'fwd', `127.0.0.1:${port}:8080`]);
    ok(added, 'forward add');
    assert.equal(added.stdout, `Forwarding 127.0.0.1:${port}/tcp to fwd port 8080\n`);
    assert.equal(await fetchSoon(port, PAGE), PAGE);
    assert.deepEqual(await listJson(), [
      {
        instance: 'fwd',
        protocol: 'tcp',
        host_address: '127.0.0.1',
        host_port: port,
        guest_port: 8080,
        active: true,
      },
    ]);
    const table = await daemon.cli(['forward', 'list']);
    ok(table, 'forward list');
    assert.match(table.stdout, /^Instance +Protocol +Host +Guest +Active$/m);
    assert.match(table.stdout, new RegExp(`^fwd +tcp +127\\.0\\.0\\.1:${port} +8080 +yes$`, 'm'));
    const again = await daemon.cli(['forward', 'add', 'fwd', `${port}:8080`]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already forwards/);
  });

  test('stop closes the host port; start carries the forward again', async () => {
    ok(await daemon.cli(['stop', 'fwd'], { timeoutMs: 300_000 }), 'stop');
    assert.equal(await fetchText(port), 'ECONNREFUSED');
    assert.equal((await listJson())[0]?.active, false);
    ok(await daemon.cli(['start', 'fwd'], { timeoutMs: 600_000 }), 'start');
    assert.equal((await listJson())[0]?.active, true);
    await serve();
    assert.equal(await fetchSoon(port, PAGE), PAGE);
  });

  test('a restarted daemon, and a killed one, leave the forward working and shown active', async () => {
    await daemon.stop({ keepData: true });
    assert.equal(await fetchText(port), PAGE, 'QEMU carries it while no daemon runs');
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.equal(await fetchText(port), PAGE);
    assert.equal((await listJson())[0]?.active, true);
    await daemon.signal('SIGKILL');
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.equal(await fetchText(port), PAGE);
    assert.equal((await listJson())[0]?.active, true);
  });

  test('remove closes the host port and forgets the rule', async () => {
    ok(await daemon.cli(['forward', 'remove', 'fwd', String(port)]), 'forward remove');
    assert.equal(await fetchText(port), 'ECONNREFUSED');
    assert.deepEqual(await listJson(), []);
    const none = await daemon.cli(['forward', 'list']);
    assert.equal(none.stderr, 'No forwards found.\n');
  });
});
