/**
 * Integration: errors name their cause, in skiff's error shape, with real skiffd and skiff processes and
 * loopback servers: an image no catalog has, `launch :`, malformed file:// URIs, a YAML alias bomb, redirect
 * loops, HTTP 414 (a remote's and skiffd's own), and the daemon dying in the middle of an operation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fault, MirrorServer } from '../harness/mirror-server.js';
import { mirrorTree } from '../harness/mirror-fixture.js';
import { SkiffDaemon, sleep, type CliResult } from '../harness/skiff-process.js';

/** skiff's error shape: one or more plain sentences, never a Node stack trace or "unexpected error". */
function assertSkiffShape(result: CliResult): void {
  assert.doesNotMatch(
    result.stderr,
    /\n\s+at .*(node:|\.js:\d+)|unexpected error|internal error/,
    result.stderr,
  );
}

describe('errors name the cause', () => {
  let work: string;
  let mirror: MirrorServer;
  let web: Server;
  let base: string;
  let daemon: SkiffDaemon;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-errors-'));
    // A mirror with a release stream only: the daily catalog cannot be read (404).
    const tree = Object.fromEntries(Object.entries(mirrorTree()).filter(([k]) => !k.startsWith('daily/')));
    mirror = new MirrorServer({ tree });
    web = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/loop-a') res.writeHead(302, { location: '/loop-b' }).end();
      else if (url === '/loop-b') res.writeHead(302, { location: '/loop-a' }).end();
      else if (url.startsWith('/hop/'))
        res.writeHead(302, { location: `/hop/${Number(url.slice(5)) + 1}` }).end();
      else if (url.startsWith('/long')) res.writeHead(414).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    daemon = await SkiffDaemon.start({ mirror: await mirror.start() });
  });
  after(async () => {
    await daemon?.stop();
    await mirror?.close();
    web?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('launch of an image no catalog has: not found (exit 2), saying which remote could not be read', async () => {
    const result = await daemon.cli(['launch', 'nosuchimage']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /no image matching "nosuchimage"; not searched, the catalog could not be read: daily \(server answered HTTP 404\)/,
    );
    assertSkiffShape(result);
  });

  test('launch : names the missing remote, never Remote "" is unknown', async () => {
    for (const query of [':', ':noble']) {
      const result = await daemon.cli(['launch', query]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /has no remote name before ":"/);
      assert.doesNotMatch(result.stderr, /remote "" is unknown|Launching/i);
    }
    const find = await daemon.cli(['find', ':']);
    assert.equal(find.code, 1);
    assert.match(find.stderr, /has no remote name before ":"/);
  });

  test('malformed file:// URIs are refused before anything is made', async () => {
    for (const [uri, reason] of [
      ['file://%zz', /does not parse as a URL/],
      ['file://otherhost/x.img', /host must be "localhost" or empty/],
      ['file:///images/', /names a directory/],
    ] as const) {
      const result = await daemon.cli(['launch', uri]);
      assert.equal(result.code, 1, `${uri}: ${result.stderr}`);
      assert.match(result.stderr, /is not a usable file:\/\/ URI/);
      assert.match(result.stderr, reason);
      assertSkiffShape(result);
    }
    const list = await daemon.cli(['list', '--format', 'json']);
    assert.deepEqual(JSON.parse(list.stdout), { list: [] });
  });

  test('a YAML alias bomb in --cloud-init is refused with a clear error', async () => {
    const levels = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    const file = join(work, 'bomb.yaml');
    await writeFile(file, `#cloud-config\n${levels.join('\n')}\n`);
    const result = await daemon.cli(['launch', 'noble', '--cloud-init', file]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /cloud-init: the YAML expands too many aliases \(more than 100\): refused/);
    assertSkiffShape(result);
  });

  test('a redirect loop and endless redirects are their own cause class, not a network error', async () => {
    const loop = await daemon.cli(['launch', `${base}/loop-a`]);
    assert.equal(loop.code, 2, loop.stderr);
    assert.match(
      loop.stderr,
      /redirect loop: the server redirects back to a URL already visited \(redirect-loop, /,
    );
    const endless = await daemon.cli(['launch', `${base}/hop/0`]);
    assert.equal(endless.code, 2, endless.stderr);
    assert.match(endless.stderr, /too many redirects: .* \(redirect-loop, /);
    assertSkiffShape(loop);
    assertSkiffShape(endless);
  });

  test("a remote's 414 and skiffd's own limits get a sentence", async () => {
    const remote = await daemon.cli(['launch', `${base}/long`]);
    assert.equal(remote.code, 2, remote.stderr);
    assert.match(remote.stderr, /HTTP 414: the URL is longer than the server accepts/);
    const longName = await daemon.cli(['info', 'a'.repeat(300)]);
    assert.equal(longName.code, 1, longName.stderr);
    assert.match(longName.stderr, /^a name in the request is longer than 256 characters/);
    const longQuery = await daemon.cli(['find', 'x'.repeat(20_000)]);
    assert.equal(longQuery.code, 1, longQuery.stderr);
    assert.match(
      longQuery.stderr,
      /^the request is too long for skiffd: an argument .* is too long \(HTTP 4(14|31)\)/,
    );
    for (const result of [remote, longName, longQuery]) assertSkiffShape(result);
  });
});

test('the daemon dying mid-operation: the CLI says so in a sentence, with no stack trace', async () => {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const daemon = await SkiffDaemon.start({ mirror: await mirror.start() });
  try {
    mirror.setFault(fault.hang());
    const { child, done } = daemon.cliStart(['launch', 'noble', '-n', 'orphan']);
    // The launch is under way (waiting on the hanging mirror) once the CLI shows skiffd's first progress line.
    let progress = '';
    child.stderr!.on('data', (chunk: Buffer | string) => (progress += String(chunk)));
    while (!progress.includes('Launching orphan') && child.exitCode === null) await sleep(25);
    await daemon.signal('SIGKILL');
    const result = await done;
    assert.equal(result.code, 3, result.stderr);
    assert.match(
      result.stderr,
      /lost the connection to skiffd before the operation finished \(.*\): the daemon stopped/,
    );
    assertSkiffShape(result);
  } finally {
    await daemon.stop();
    await mirror.close();
  }
});
