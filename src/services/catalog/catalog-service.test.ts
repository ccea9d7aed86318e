import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SkiffError } from '../../core/errors.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { FakeHttp, MemoryStore } from '../../testing/fake-http.js';
import { buildSimplestreamsTree, type FixtureProduct } from '../../testing/simplestreams-fixture.js';
import { catalogOnFakes } from '../../testing/fake-catalog.js';
import type { NetworkWatcher } from './ports.js';

const RELEASE = 'http://mirror.test/releases/';
const DAILY = 'http://mirror.test/daily/';
const INDEX = `${RELEASE}streams/v1/index.json`;
const PRODUCTS = `${RELEASE}streams/v1/com.ubuntu.cloud:released:download.json`;
const DAILY_INDEX = `${DAILY}streams/v1/index.json`;
const DAILY_PRODUCTS = `${DAILY}streams/v1/com.ubuntu.cloud:daily:download.json`;

const noble: FixtureProduct = {
  release: '24.04',
  codename: 'noble',
  title: '24.04 LTS',
  aliases: ['24.04', 'default', 'lts', 'noble'],
  versions: [{ serial: '20251120', path: 'server/noble.img', sizeBytes: 10, sha256: 'a'.repeat(64) }],
};
const jammy: FixtureProduct = {
  ...noble,
  release: '22.04',
  codename: 'jammy',
  title: '22.04 LTS',
  aliases: ['jammy'],
};

function tree(stream: 'releases' | 'daily', products: FixtureProduct[]) {
  const files = buildSimplestreamsTree({ stream, products });
  const index = files['streams/v1/index.json']!;
  const productsFile = Object.entries(files).find(([p]) => p !== 'streams/v1/index.json')![1];
  return { index, products: productsFile };
}

class ManualWatcher implements NetworkWatcher {
  private listener: ((reason: string) => void) | null = null;
  start(onChange: (reason: string) => void) {
    this.listener = onChange;
  }
  stop() {
    this.listener = null;
  }
  fire(reason = 'route') {
    this.listener?.(reason);
  }
}

async function setup(options: { store?: MemoryStore; clock?: FakeClock; attemptTimeoutMs?: number } = {}) {
  const store = options.store ?? new MemoryStore();
  const clock = options.clock ?? new FakeClock();
  const http = new FakeHttp();
  const watcher = new ManualWatcher();
  const logs: string[] = [];
  const log = {
    info: (_o: object, m: string) => logs.push(m),
    warn: (_o: object, m: string) => logs.push(m),
  };
  const service = catalogOnFakes({
    clock,
    http,
    store,
    log,
    watcher,
    attemptTimeoutMs: options.attemptTimeoutMs,
  });
  service.start();
  const cleanup = () => service.stop();
  return { store, clock, http, watcher, service, cleanup, logs };
}

const specs = [
  { name: 'release', url: RELEASE },
  { name: 'daily', url: DAILY },
];

function serveDaily(http: FakeHttp) {
  const d = tree('daily', [noble]);
  http.on(DAILY_INDEX, { body: d.index }).on(DAILY_PRODUCTS, { body: d.products });
}

test('a first successful fetch makes the catalog fresh, persists it and schedules the 15-minute refresh', async () => {
  const { http, service, clock, cleanup, store } = await setup();
  try {
    const t = tree('releases', [noble, jammy]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products, etag: '"v1"' });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    const [release] = service.statuses();
    assert.equal(release!.state, 'fresh');
    assert.equal(release!.imageCount, 2);
    assert.equal(release!.nextAttemptMs, clock.now() + 15 * 60_000);
    const persisted = await store.load('release', RELEASE);
    assert.equal(persisted?.images.length, 2);
    assert.equal(persisted?.etag, '"v1"');
  } finally {
    await cleanup();
  }
});

test('failures retry on the backoff schedule (5 s, 10 s, 20 s ...) and a success returns to the refresh period', async () => {
  const { http, service, clock, cleanup } = await setup();
  try {
    http.on(INDEX, { fail: 'dns', message: 'DNS lookup failed (EAI_AGAIN)' });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    const status = () => service.statuses()[0]!;
    assert.equal(status().state, 'unreachable');
    assert.deepEqual(status().lastError, {
      cause: 'dns',
      url: INDEX,
      message: 'DNS lookup failed (EAI_AGAIN)',
    });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const delay = status().nextAttemptMs! - clock.now();
      delays.push(delay);
      await clock.advance(delay);
    }
    assert.deepEqual(delays, [5_000, 10_000, 20_000, 40_000]);
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    await clock.advance(status().nextAttemptMs! - clock.now());
    assert.equal(status().state, 'fresh');
    assert.equal(status().lastError, null);
    assert.equal(status().nextAttemptMs! - clock.now(), 15 * 60_000);
  } finally {
    await cleanup();
  }
});

test('a failed or malformed refresh never replaces or clears the last good catalog', async () => {
  const { http, service, clock, cleanup, store } = await setup();
  try {
    const t = tree('releases', [noble, jammy]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    http.on(PRODUCTS, { body: '{"products": {"x": ' });
    await clock.advance(15 * 60_000);
    let release = service.statuses()[0]!;
    assert.equal(release.state, 'stale');
    assert.equal(release.lastError?.cause, 'malformed');
    assert.equal(release.lastError?.url, PRODUCTS);
    assert.equal(service.snapshot('release')?.images.length, 2);
    http.on(INDEX, { fail: 'http-500', message: 'server answered HTTP 500' });
    await clock.advance(release.nextAttemptMs! - clock.now());
    release = service.statuses()[0]!;
    assert.equal(release.lastError?.cause, 'http-500');
    assert.equal(service.snapshot('release')?.images.length, 2);
    const persisted = await store.load('release', RELEASE);
    assert.equal(persisted?.images.length, 2);
    // One failing remote does not affect the other.
    assert.equal(service.statuses()[1]!.state, 'fresh');
  } finally {
    await cleanup();
  }
});

test('an unchanged products file is revalidated with its ETag (304) instead of downloaded again', async () => {
  const { http, service, clock, cleanup } = await setup();
  try {
    const t = tree('releases', [noble]);
    http
      .on(INDEX, { body: t.index })
      .on(PRODUCTS, { body: t.products, etag: '"abc"' }, { notModified: true });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    const firstFetch = service.statuses()[0]!.lastSuccessMs!;
    await clock.advance(15 * 60_000);
    const productCalls = http.calls.filter((c) => c.url === PRODUCTS);
    assert.deepEqual(
      productCalls.map((c) => c.etag),
      [null, '"abc"'],
    );
    const release = service.statuses()[0]!;
    assert.equal(release.state, 'fresh');
    assert.equal(release.imageCount, 1);
    assert.ok(release.lastSuccessMs! > firstFetch);
  } finally {
    await cleanup();
  }
});

test('a network change retries every remote that is not fresh at once (debounced) and drops pooled connections', async () => {
  const { http, service, clock, watcher, cleanup } = await setup();
  try {
    http.on(INDEX, { fail: 'no-route', message: 'no route to host (ENETUNREACH)' });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    assert.equal(service.statuses()[0]!.nextAttemptMs! - clock.now(), 5_000);
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    const before = http.calls.length;
    watcher.fire('link');
    watcher.fire('address');
    watcher.fire('route');
    await clock.advance(99);
    assert.equal(http.calls.length, before, 'nothing happens before the debounce delay');
    await clock.advance(1);
    assert.equal(service.statuses()[0]!.state, 'fresh');
    assert.equal(http.resets, 1);
    // Only the remote that was not fresh was fetched again: one index + one products request.
    assert.deepEqual(
      http.calls.slice(before).map((c) => c.url),
      [INDEX, PRODUCTS],
    );
  } finally {
    await cleanup();
  }
});

test('a request waits for a missing catalog, streams the reason, and succeeds when the network comes up', async () => {
  const { http, service, clock, watcher, cleanup } = await setup();
  try {
    http.on(INDEX, { fail: 'dns', message: 'DNS lookup failed (EAI_AGAIN)' });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    await clock.advance(60_000); // the backoff has grown past the waiting retry period
    const progress: string[] = [];
    const waiting = service.waitFor(['release'], { timeoutMs: 60_000, onProgress: (m) => progress.push(m) });
    await settle();
    assert.match(
      progress[0]!,
      /^waiting for release \(http:\/\/mirror\.test\/releases\/streams\/v1\/index\.json\): DNS lookup failed \(EAI_AGAIN\)/,
    );
    assert.ok(
      progress.some((m) => /retrying in 5 s$/.test(m)),
      progress.join('\n'),
    );
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    watcher.fire();
    await clock.advance(100);
    const result = await waiting;
    assert.equal(result.snapshots[0]?.images.length, 1);
    assert.deepEqual(result.failures, []);
  } finally {
    await cleanup();
  }
});

test('the wait deadline fails with the remote, the URL and the cause', async () => {
  const { http, service, clock, cleanup } = await setup();
  try {
    http.on(INDEX, { fail: 'refused', message: 'connection refused (ECONNREFUSED)' });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    const waiting = service.waitFor(['release'], { timeoutMs: 30_000 });
    const outcome = assert.rejects(waiting, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'timeout');
      assert.match(
        error.message,
        /timed out after 30 s waiting for the image catalog of release \(http:\/\/mirror\.test\/releases\/streams\/v1\/index\.json\): connection refused \(ECONNREFUSED\) \[refused\]/,
      );
      return true;
    });
    await clock.advance(30_000);
    await outcome;
    // While the request waited, retries came every 5 s instead of on the growing backoff.
    assert.ok(http.calls.filter((c) => c.url === INDEX).length >= 6);
  } finally {
    await cleanup();
  }
});

test('after a restart the persisted catalog answers at once, marked stale, even with the network down', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  {
    const first = await setup({ store, clock });
    const t = tree('releases', [noble, jammy]);
    first.http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    serveDaily(first.http);
    await first.service.configure(specs);
    await settle();
    await first.cleanup();
    await clock.advance(3 * 60 * 60_000);
    const second = await setup({ store, clock });
    second.http.on(INDEX, { fail: 'dns' }).on(DAILY_INDEX, { fail: 'dns' });
    await second.service.configure(specs);
    await settle();
    const result = await second.service.waitFor(['release'], { timeoutMs: 1_000 });
    assert.equal(result.snapshots[0]?.images.length, 2);
    assert.equal(result.stale[0]?.name, 'release');
    assert.equal(result.stale[0]?.state, 'stale');
    await second.cleanup();
  }
});

test('force refresh reports a per-remote failure but keeps answering from the last good catalog', async () => {
  const { http, service, cleanup } = await setup();
  try {
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    http.on(DAILY_INDEX, { fail: 'timeout', message: 'timed out (UND_ERR_HEADERS_TIMEOUT)' });
    const result = await service.waitFor(['release', 'daily'], { timeoutMs: 5_000, force: true });
    assert.equal(result.snapshots.length, 2);
    assert.deepEqual(
      result.failures.map((f) => [f.remote, f.failure.cause]),
      [['daily', 'timeout']],
    );
  } finally {
    await cleanup();
  }
});

test('an attempt that hangs is cut by its own deadline on the injected clock and counted as a timeout', async () => {
  const { http, service, clock, cleanup } = await setup({ attemptTimeoutMs: 60_000 });
  try {
    http.on(INDEX, { hang: true });
    serveDaily(http);
    await service.configure(specs);
    await clock.advance(59_999);
    assert.equal(service.statuses()[0]!.attempting, true, 'still within the deadline');
    await clock.advance(1);
    assert.equal(service.statuses()[0]!.state, 'unreachable');
    assert.equal(service.statuses()[0]!.lastError?.cause, 'timeout');
    assert.match(service.statuses()[0]!.lastError!.message, /attempt deadline of 60 s/);
    assert.deepEqual(
      clock.pendingDelays(),
      [5_000, 15 * 60_000 - 60_000],
      "release's retry and daily's refresh are pending; the deadline timer is gone",
    );
  } finally {
    await cleanup();
  }
});

test('an attempt that ends before its deadline leaves no deadline timer behind', async () => {
  const { http, service, clock, cleanup } = await setup();
  try {
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    serveDaily(http);
    await service.configure(specs);
    await settle();
    assert.deepEqual(
      clock.pendingDelays(),
      [15 * 60_000, 15 * 60_000],
      'one refresh per remote, nothing else',
    );
  } finally {
    await cleanup();
  }
});

test('a restart serves the young persisted catalog as stale until a conditional request confirms it', async () => {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const first = await setup({ store, clock });
  const t = tree('releases', [noble]);
  first.http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products, etag: '"e1"' });
  serveDaily(first.http);
  await first.service.configure(specs);
  await settle();
  await first.cleanup();
  await clock.advance(60_000);
  const second = await setup({ store, clock });
  try {
    let answer: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (answer = resolve));
    const slowIndex = second.http.get.bind(second.http);
    second.http.get = async (url, options) => {
      if (url === INDEX) await gate;
      return slowIndex(url, options);
    };
    second.http.on(INDEX, { body: t.index }).on(PRODUCTS, { notModified: true });
    serveDaily(second.http);
    await second.service.configure(specs);
    await settle();
    assert.equal(second.service.statuses()[0]!.state, 'stale', 'not confirmed since the restart');
    assert.equal(second.service.snapshot('release')?.images.length, 1, 'but served at once');
    answer();
    await settle();
    assert.equal(second.service.statuses()[0]!.state, 'fresh');
    assert.deepEqual(
      second.http.calls.filter((c) => c.url === PRODUCTS).map((c) => c.etag),
      ['"e1"'],
    );
  } finally {
    await second.cleanup();
  }
});

test('partial waits answer with the remotes that have a catalog and report the others after one attempt', async () => {
  const { http, service, clock, cleanup } = await setup();
  try {
    const t = tree('releases', [noble]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    http.on(DAILY_INDEX, { fail: 'http-404', message: 'server answered HTTP 404' });
    await service.configure(specs);
    await settle();
    const started = clock.now();
    const result = await service.waitFor(['release', 'daily'], { timeoutMs: 60_000, partial: true });
    assert.equal(clock.now(), started, 'no fake time had to pass: nothing was waited out');
    assert.deepEqual(
      result.snapshots.map((s) => s.remote),
      ['release'],
    );
    assert.deepEqual(
      result.failures.map((f) => [f.remote, f.failure.cause]),
      [['daily', 'http-404']],
    );
    // Without partial, the same request would wait for daily until its deadline.
    const full = service.waitFor(['release', 'daily'], { timeoutMs: 10_000 });
    let done = false;
    void full.then(() => (done = true));
    await clock.advance(9_000);
    assert.equal(done, false);
    await clock.advance(1_000);
    assert.deepEqual(
      (await full).failures.map((f) => f.remote),
      ['daily'],
    );
  } finally {
    await cleanup();
  }
});

test('newestImage answers an alias from the catalog held now, and null without one or for an unknown alias', async () => {
  const { http, service, cleanup } = await setup();
  try {
    const t = tree('releases', [noble, jammy]);
    http.on(INDEX, { body: t.index }).on(PRODUCTS, { body: t.products });
    http.on(DAILY_INDEX, { fail: 'dns', message: 'DNS lookup failed (EAI_AGAIN)' });
    await service.configure(specs);
    await settle();
    assert.equal(service.newestImage('release', 'lts')?.codename, 'noble');
    assert.equal(service.newestImage('release', 'jammy')?.codename, 'jammy');
    assert.equal(service.newestImage('release', 'plucky'), null, 'no image by that alias');
    assert.equal(service.newestImage('daily', 'lts'), null, 'no catalog held yet');
    assert.throws(
      () => service.newestImage('nope', 'lts'),
      (error: unknown) => error instanceof SkiffError && error.code === 'not-found',
    );
  } finally {
    await cleanup();
  }
});
