/**
 * Integration: the catalog under faults, with real processes: a mirror that dies, answers 500, resets,
 * hangs; a find that waits; a daemon killed with -9 and restarted; proxies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fault, MirrorServer } from '../harness/mirror-server.js';
import { mirrorTree, RELEASE_INDEX } from '../harness/mirror-fixture.js';
import { ProxyServer } from '../harness/proxy-server.js';
import { SkiffDaemon, sleep } from '../harness/skiff-process.js';

/** Fast retries so a test sees several attempts in a second or two. */
const FAST = [
  '--retry-initial-ms',
  '200',
  '--retry-max-ms',
  '400',
  '--waiting-retry-ms',
  '200',
  '--attempt-timeout-ms',
  '1500',
];

async function withMirror(fn: (mirror: MirrorServer, url: string) => Promise<void>): Promise<void> {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const url = await mirror.start();
  try {
    await fn(mirror, url);
  } finally {
    await mirror.close();
  }
}

const release = (r: Awaited<ReturnType<SkiffDaemon['remotes']>>) => r.find((x) => x.name === 'release')!;

test('each failure is reported with its cause class and URL: 500, reset, hang, refused', async () => {
  await withMirror(async (mirror, url) => {
    const daemon = await SkiffDaemon.start({ mirror: url, args: FAST });
    try {
      await daemon.waitForRemotes((r) => release(r).state === 'fresh');
      const index = `${url}releases/streams/v1/index.json`;
      const cases: Array<[ReturnType<typeof fault.status>, string, RegExp]> = [
        [fault.status(500), 'http-500', /HTTP 500/],
        [fault.reset(), 'reset', /connection reset|ECONNRESET|UND_ERR_SOCKET/],
        [fault.hang(), 'timeout', /timed out|deadline/],
      ];
      for (const [f, cause, message] of cases) {
        mirror.setFault(f, RELEASE_INDEX);
        const forced = await daemon.cli(['find', '--force-update', '--format', 'json']);
        assert.equal(forced.code, 0, 'the last good catalog still answers');
        const body = JSON.parse(forced.stdout) as { errors: string[]; images: object };
        assert.ok(Object.keys(body.images).length > 0, 'images are still listed');
        assert.ok(
          body.errors.some((e) => e.includes('"release"') && e.includes(index) && e.includes(`[${cause}]`)),
          body.errors.join('\n'),
        );
        const r = release(await daemon.remotes());
        assert.equal(r.state, 'stale');
        assert.equal(r.last_error?.cause, cause);
        assert.equal(r.last_error?.url, index);
        assert.match(r.last_error!.message, message);
        mirror.setFault(null, RELEASE_INDEX);
      }
      await mirror.close();
      await daemon.cli(['find', '--force-update']);
      const r = release(await daemon.remotes());
      assert.equal(r.last_error?.cause, 'refused');
      assert.equal(r.state, 'stale');
    } finally {
      await daemon.stop();
    }
  });
});

test('the catalog goes stale when the server dies and fresh again by itself when it returns', async () => {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const url = await mirror.start();
  const port = Number(new URL(url).port);
  const daemon = await SkiffDaemon.start({ mirror: url, args: [...FAST, '--refresh-interval-ms', '300'] });
  try {
    await daemon.waitForRemotes((r) => release(r).state === 'fresh');
    await mirror.close();
    await daemon.waitForRemotes(
      (r) => release(r).state === 'stale' && release(r).last_error?.cause === 'refused',
    );
    const stale = await daemon.cli(['find', 'noble', '--format', 'json']);
    assert.equal(stale.code, 0);
    assert.match(stale.stderr, /warning: catalog of remote "release" is stale .*connection refused/);
    const again = new MirrorServer({ tree: mirrorTree() });
    await again.start({ port });
    try {
      await daemon.waitForRemotes((r) => release(r).state === 'fresh' && release(r).last_error === null);
      assert.ok(again.requests.length > 0, 'recovered without any client request');
    } finally {
      await again.close();
    }
  } finally {
    await daemon.stop();
  }
});

test('find waits for a missing catalog with the live reason and succeeds once the mirror answers', async () => {
  await withMirror(async (mirror, url) => {
    mirror.setFault(fault.status(503));
    const daemon = await SkiffDaemon.start({ mirror: url, args: FAST });
    try {
      await daemon.waitForRemotes((r) => release(r).state === 'unreachable');
      const { done } = daemon.cliStart(['find', 'noble', '--timeout', '20', '--format', 'json']);
      await sleep(800);
      mirror.clearFaults();
      const result = await done;
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /waiting for release \(http:\/\/127\.0\.0\.1:\d+\/releases\/streams\/v1\/index\.json\): server answered HTTP 503/,
      );
      assert.ok('noble' in (JSON.parse(result.stdout) as { images: object }).images);
    } finally {
      await daemon.stop();
    }
  });
});

test('find and wait-ready time out with exit code 5 and name remote, URL and cause', async () => {
  await withMirror(async (mirror, url) => {
    mirror.setFault(fault.status(404));
    const daemon = await SkiffDaemon.start({ mirror: url, args: FAST });
    try {
      const find = await daemon.cli(['find', '--timeout', '2']);
      assert.equal(find.code, 5);
      assert.match(
        find.stderr,
        /timed out after 2 s waiting for the image catalog of release \(http:\/\/127\.0\.0\.1:\d+\/releases\/streams\/v1\/index\.json\): server answered HTTP 404 \[http-404\]/,
      );
      assert.doesNotMatch(find.stderr, /Remote ""/);
      const ready = await daemon.cli(['wait-ready', '--timeout', '2']);
      assert.equal(ready.code, 5);
      assert.match(ready.stderr, /release \(.*index\.json\): server answered HTTP 404 \[http-404\]/);
      assert.match(ready.stderr, /daily \(.*index\.json\): server answered HTTP 404 \[http-404\]/);
      mirror.clearFaults();
      const ok = await daemon.cli(['wait-ready', '--timeout', '20']);
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await daemon.stop();
    }
  });
});

test('kill -9 while the mirror is down: the restarted daemon answers find from the persisted catalog, marked stale', async () => {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const url = await mirror.start();
  const first = await SkiffDaemon.start({ mirror: url, args: FAST });
  await first.waitForRemotes((r) => r.every((x) => x.state === 'fresh'));
  await mirror.close();
  await first.signal('SIGKILL');
  const second = await SkiffDaemon.start({
    mirror: url,
    dataDir: first.dataDir,
    args: [...FAST, '--refresh-interval-ms', '1'],
  });
  try {
    const find = await second.cli(['find', 'noble', '--format', 'json']);
    assert.equal(find.code, 0, find.stderr);
    assert.ok('noble' in (JSON.parse(find.stdout) as { images: object }).images);
    assert.match(find.stderr, /warning: catalog of remote "release" is stale/);
    const r = release(await second.remotes());
    assert.equal(r.state, 'stale');
    assert.ok(r.last_success, 'the age of the persisted catalog is shown');
  } finally {
    await second.stop();
    await first.stop();
  }
});

test('HTTP_PROXY is used for every fetch, and NO_PROXY bypasses it', async () => {
  await withMirror(async (_mirror, url) => {
    const port = new URL(url).port;
    const proxy = new ProxyServer();
    const proxyUrl = await proxy.start();
    try {
      // localhost (from /etc/hosts, never DNS): if the proxy were bypassed the fetch would still stay on loopback.
      const noProxyVars = {
        http_proxy: undefined,
        HTTP_PROXY: undefined,
        https_proxy: undefined,
        HTTPS_PROXY: undefined,
        no_proxy: undefined,
        NO_PROXY: undefined,
      };
      const viaProxy = await SkiffDaemon.start({
        mirror: `http://localhost:${port}/`,
        args: FAST,
        env: { ...noProxyVars, HTTP_PROXY: proxyUrl },
      });
      try {
        await viaProxy.waitForRemotes((r) => r.every((x) => x.state === 'fresh'));
        // undici tunnels plain http through the proxy with CONNECT too.
        assert.ok(
          proxy.requests.some(
            (r) => r.target === `localhost:${port}` || r.target.startsWith(`http://localhost:${port}/`),
          ),
          JSON.stringify(proxy.requests.map((r) => r.target)),
        );
      } finally {
        await viaProxy.stop();
      }
      const before = proxy.requests.length;
      const bypass = await SkiffDaemon.start({
        mirror: url,
        args: FAST,
        env: { ...noProxyVars, http_proxy: proxyUrl, no_proxy: '127.0.0.1' },
      });
      try {
        await bypass.waitForRemotes((r) => r.every((x) => x.state === 'fresh'));
        assert.equal(proxy.requests.length, before, 'NO_PROXY host went direct');
      } finally {
        await bypass.stop();
      }
    } finally {
      await proxy.close();
    }
  });
});

test('a TLS failure (self-signed certificate) is reported as tls with the URL', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:https');
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tls-'));
  const server = createServer(
    await (async () => {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-subj',
          '/CN=127.0.0.1',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      return { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
    })(),
    (_req, res) => res.end('{}'),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const daemon = await SkiffDaemon.start({ mirror: `https://127.0.0.1:${port}/`, args: FAST });
  try {
    await daemon.waitForRemotes((r) => release(r).last_error?.cause === 'tls');
    const r = release(await daemon.remotes());
    assert.equal(r.last_error?.url, `https://127.0.0.1:${port}/releases/streams/v1/index.json`);
    assert.match(r.last_error!.message, /TLS handshake failed \(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED/);
  } finally {
    await daemon.stop();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
