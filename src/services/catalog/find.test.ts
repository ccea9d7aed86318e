import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../../core/errors.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { catalogOnFakes } from '../../testing/fake-catalog.js';
import { FakeHttp, MemoryStore } from '../../testing/fake-http.js';
import { buildSimplestreamsTree } from '../../testing/simplestreams-fixture.js';
import { findImages } from './find.js';

const RELEASE = 'http://mirror.test/releases/';
const INDEX = `${RELEASE}streams/v1/index.json`;
const HOUR = 60 * 60_000;

const files = buildSimplestreamsTree({
  stream: 'releases',
  products: [
    {
      release: '24.04',
      codename: 'noble',
      title: '24.04 LTS',
      aliases: ['24.04', 'default', 'lts', 'noble'],
      versions: [{ serial: '20251120', path: 'server/noble.img', sizeBytes: 10, sha256: 'a'.repeat(64) }],
    },
  ],
});

async function catalogOn(clock: FakeClock, http: FakeHttp, store: MemoryStore) {
  const catalog = catalogOnFakes({ clock, http, store });
  await catalog.configure([{ name: 'release', url: RELEASE }]);
  await settle();
  return catalog;
}

test('a stale catalog is reported with its age on the injected clock', async () => {
  const clock = new FakeClock();
  const store = new MemoryStore();
  const http = new FakeHttp();
  for (const [path, body] of Object.entries(files)) http.on(`${RELEASE}${path}`, { body });
  const first = await catalogOn(clock, http, store);
  await first.stop();
  // Three hours on, the mirror is gone: the persisted catalog answers, stale.
  await clock.advance(3 * HOUR);
  http.on(INDEX, { fail: 'refused', message: 'connection refused' });
  const catalog = await catalogOn(clock, http, store);
  try {
    const result = await findImages(catalog, {
      query: 'noble',
      showUnsupported: false,
      forceUpdate: false,
      timeoutMs: 60_000,
    });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings, [
      `catalog of remote "release" is stale (fetched 3 h ago; last refresh failed: connection refused [refused])`,
    ]);
    assert.deepEqual(
      result.rows.map((row) => row.key),
      ['noble'],
    );
  } finally {
    await catalog.stop();
  }
});

test('a query naming an unknown remote is refused before any wait', async () => {
  const clock = new FakeClock();
  const http = new FakeHttp();
  for (const [path, body] of Object.entries(files)) http.on(`${RELEASE}${path}`, { body });
  const catalog = await catalogOn(clock, http, new MemoryStore());
  try {
    await assert.rejects(
      findImages(catalog, {
        query: 'nope:noble',
        showUnsupported: false,
        forceUpdate: false,
        timeoutMs: 1_000,
      }),
      (error: unknown) =>
        error instanceof SkiffError && error.code === 'not-found' && /nope/.test(error.message),
    );
  } finally {
    await catalog.stop();
  }
});
