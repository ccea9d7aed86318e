import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../../core/errors.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import type { ImageInfo } from '../catalog/types.js';
import { MAINTENANCE_EVERY_MS, newerSource, VaultMaintenance } from './maintenance.js';
import type { NewestImageLookup } from './ports.js';
import type { ImageOrigin, ImageSource, VaultImage } from './types.js';

const HOUR = 60 * 60_000;

function image(source: ImageOrigin): VaultImage {
  return {
    id: 'f'.repeat(64),
    path: '/vault/images/f.img',
    sizeBytes: 1,
    source,
    fetchedAtMs: 0,
    lastUsedMs: 0,
    usedBy: [],
  };
}

const fromCatalog = (sha256: string, aliases = ['noble', 'lts']): ImageOrigin => ({
  kind: 'catalog',
  remote: 'release',
  product: 'com.ubuntu.cloud:server:24.04:amd64',
  release: '24.04',
  releaseTitle: '24.04 LTS',
  codename: 'noble',
  version: '20260101',
  aliases,
  url: 'http://m/noble.img',
  sha256,
});

function catalogImage(sha256: string): ImageInfo {
  return {
    id: sha256,
    product: 'com.ubuntu.cloud:server:24.04:amd64',
    os: 'ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version: '20260201',
    aliases: ['noble', 'lts'],
    supported: true,
    arch: 'amd64',
    item: 'disk1.img',
    url: 'http://m/noble-new.img',
    sizeBytes: 1,
    sha256,
  };
}

/** Answers every alias of `release` with `newest`; records what it was asked. */
function lookup(newest: ImageInfo | null) {
  const asked: Array<[string, string]> = [];
  const catalog: NewestImageLookup = {
    newestImage(remote, alias) {
      asked.push([remote, alias]);
      if (remote !== 'release') throw new SkiffError('not-found', `remote "${remote}" is unknown`);
      return newest;
    },
  };
  return { catalog, asked };
}

/** Records refresh and prune calls; each can be made to fail or to wait for the test. */
class ScriptedVault {
  readonly calls: string[] = [];
  readonly resolved: Array<ImageSource | null> = [];
  failRefresh = false;
  failPrune = false;
  gate: Promise<void> | null = null;

  constructor(private readonly cached: VaultImage[] = []) {}

  async refresh(resolve: (image: VaultImage) => Promise<ImageSource | null>): Promise<VaultImage[]> {
    this.calls.push('refresh');
    for (const cached of this.cached) this.resolved.push(await resolve(cached));
    if (this.gate) await this.gate;
    if (this.failRefresh) throw new Error('disk on fire');
    return [];
  }

  async prune(): Promise<VaultImage[]> {
    this.calls.push('prune');
    if (this.failPrune) throw new Error('cannot list images');
    return [];
  }
}

function setup(vault = new ScriptedVault()) {
  const clock = new FakeClock();
  const warnings: string[] = [];
  const log = { info: () => {}, warn: (_obj: object, msg: string) => warnings.push(msg) };
  const maintenance = new VaultMaintenance({ vault, catalog: lookup(null).catalog, clock, log });
  return { clock, vault, warnings, maintenance };
}

test('a pass comes every 6 hours: refresh, then prune', async () => {
  const { clock, vault, maintenance } = setup();
  assert.equal(MAINTENANCE_EVERY_MS, 6 * HOUR);
  maintenance.start();
  await clock.advance(6 * HOUR - 1);
  assert.deepEqual(vault.calls, [], 'nothing before the first period is over');
  await clock.advance(1);
  assert.deepEqual(vault.calls, ['refresh', 'prune']);
  assert.deepEqual(clock.pendingDelays(), [6 * HOUR]);
  await clock.advance(12 * HOUR);
  assert.deepEqual(vault.calls, ['refresh', 'prune', 'refresh', 'prune', 'refresh', 'prune']);
  maintenance.stop();
});

test('start() twice schedules one pass', async () => {
  const { clock, maintenance } = setup();
  maintenance.start();
  maintenance.start();
  assert.deepEqual(clock.pendingDelays(), [6 * HOUR]);
  maintenance.stop();
});

test('a failing refresh is logged, and neither the prune nor the next pass is lost', async () => {
  const { clock, vault, warnings, maintenance } = setup();
  vault.failRefresh = true;
  maintenance.start();
  await clock.advance(6 * HOUR);
  assert.deepEqual(vault.calls, ['refresh', 'prune']);
  assert.deepEqual(warnings, ['image refresh failed']);
  await clock.advance(6 * HOUR);
  assert.deepEqual(vault.calls, ['refresh', 'prune', 'refresh', 'prune']);
  maintenance.stop();
});

test('a failing prune is logged and the next pass still comes', async () => {
  const { clock, vault, warnings, maintenance } = setup();
  vault.failPrune = true;
  maintenance.start();
  await clock.advance(12 * HOUR);
  assert.deepEqual(vault.calls, ['refresh', 'prune', 'refresh', 'prune']);
  assert.deepEqual(warnings, ['image prune failed', 'image prune failed']);
  maintenance.stop();
});

test('stop() cancels the next pass', async () => {
  const { clock, vault, maintenance } = setup();
  maintenance.start();
  await clock.advance(6 * HOUR);
  maintenance.stop();
  assert.deepEqual(clock.pendingDelays(), []);
  await clock.advance(24 * HOUR);
  assert.deepEqual(vault.calls, ['refresh', 'prune']);
  maintenance.start();
  assert.deepEqual(clock.pendingDelays(), [], 'a stopped maintenance stays stopped');
});

test('the next period counts from the end of a slow pass, and stop() during a pass lets it finish alone', async () => {
  const { clock, vault, maintenance } = setup();
  let release = () => {};
  vault.gate = new Promise((resolve) => (release = resolve));
  maintenance.start();
  await clock.advance(6 * HOUR);
  assert.deepEqual(vault.calls, ['refresh'], 'the refresh is still under way');
  await clock.advance(2 * HOUR);
  assert.deepEqual(clock.pendingDelays(), [], 'no pass is scheduled while one runs');
  release();
  await settle();
  assert.deepEqual(vault.calls, ['refresh', 'prune']);
  assert.deepEqual(clock.pendingDelays(), [6 * HOUR]);

  vault.gate = new Promise((resolve) => (release = resolve));
  await clock.advance(6 * HOUR);
  maintenance.stop();
  release();
  await settle();
  assert.deepEqual(vault.calls, ['refresh', 'prune', 'refresh', 'prune'], 'the pass under way finished');
  assert.deepEqual(clock.pendingDelays(), [], 'and none follows it');
});

test('a pass asks the catalog about each cached image and hands the vault what to fetch', async () => {
  const vault = new ScriptedVault([
    image(fromCatalog('a'.repeat(64))),
    image({ kind: 'url', url: 'http://x/y.img', sha256: 'b'.repeat(64) }),
  ]);
  const clock = new FakeClock();
  const newer = catalogImage('c'.repeat(64));
  const { catalog, asked } = lookup(newer);
  const log = { info: () => {}, warn: () => {} };
  await new VaultMaintenance({ vault, catalog, clock, log }).runOnce();
  assert.deepEqual(asked, [['release', 'noble']]);
  assert.deepEqual(vault.resolved, [{ kind: 'catalog', remote: 'release', image: newer }, null]);
});

test('newerSource: the catalog image for the first alias, only when it is another image', () => {
  const cached = image(fromCatalog('a'.repeat(64)));
  const newer = catalogImage('c'.repeat(64));
  assert.deepEqual(newerSource(lookup(newer).catalog, cached), {
    kind: 'catalog',
    remote: 'release',
    image: newer,
  });
  assert.equal(newerSource(lookup(catalogImage('a'.repeat(64))).catalog, cached), null, 'the same image');
  assert.equal(newerSource(lookup(null).catalog, cached), null, 'no catalog or the alias is gone');
});

test('newerSource: nothing to compare for images not fetched by a catalog alias', () => {
  const { catalog, asked } = lookup(catalogImage('c'.repeat(64)));
  assert.equal(newerSource(catalog, image(fromCatalog('a'.repeat(64), []))), null, 'fetched by id');
  assert.equal(
    newerSource(catalog, image({ kind: 'url', url: 'http://x/y.img', sha256: 'b'.repeat(64) })),
    null,
  );
  assert.equal(newerSource(catalog, image({ kind: 'file', path: '/y.img', sizeBytes: 1, mtimeMs: 0 })), null);
  assert.equal(newerSource(catalog, image({ kind: 'unknown' })), null);
  assert.deepEqual(asked, [], 'the catalog was not asked');
});

test('newerSource: a remote the catalog no longer knows is an error the vault logs for that image', () => {
  const cached = image({ ...fromCatalog('a'.repeat(64)), remote: 'gone' } as ImageOrigin);
  assert.throws(
    () => newerSource(lookup(null).catalog, cached),
    (error: unknown) => error instanceof SkiffError && error.code === 'not-found',
  );
});
