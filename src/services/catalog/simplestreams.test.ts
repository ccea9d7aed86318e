import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCatalogTestdata, syntheticProducts } from '../../testing/simplestreams-fixture.js';
import { parseIndex, parseProducts } from './simplestreams.js';
import type { ImageInfo } from './types.js';

const fixture = readCatalogTestdata;

const RELEASES = 'https://cloud-images.ubuntu.com/releases/';
const INDEX_URL = `${RELEASES}streams/v1/index.json`;
const NOBLE = 'com.ubuntu.cloud:server:24.04:amd64';
const amd64 = { arch: 'amd64', baseUrl: RELEASES };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The release fixture, changed by `edit`, as text. */
function productsWith(edit: (doc: Json) => void): string {
  const doc = JSON.parse(fixture('products-release.json')) as Json;
  edit(doc);
  return JSON.stringify(doc);
}

const byVersion = (images: ImageInfo[], product: string): Record<string, ImageInfo> =>
  Object.fromEntries(images.filter((i) => i.product === product).map((i) => [i.version, i]));

test('parseIndex takes the image-downloads entry and resolves it against the remote base', () => {
  assert.deepEqual(parseIndex(fixture('index.json'), INDEX_URL), {
    productsUrl: `${RELEASES}streams/v1/com.ubuntu.cloud:released:download.json`,
  });
  const mirror = 'http://127.0.0.1:8080/ubuntu/daily/streams/v1/index.json';
  assert.equal(
    parseIndex(fixture('index.json'), mirror).productsUrl,
    'http://127.0.0.1:8080/ubuntu/daily/streams/v1/com.ubuntu.cloud:released:download.json',
  );
});

test('parseIndex prefers the download entry among several image-downloads, and keeps absolute paths', () => {
  const index = (entries: Json): string => JSON.stringify({ format: 'index:1.0', index: entries });
  const text = index({
    'com.example:mirror:images': { datatype: 'image-downloads', path: 'streams/v1/other.json' },
    'com.ubuntu.cloud:released:download': { datatype: 'image-downloads', path: 'streams/v1/dl.json' },
  });
  assert.equal(parseIndex(text, INDEX_URL).productsUrl, `${RELEASES}streams/v1/dl.json`);
  const single = index({ x: { datatype: 'image-downloads', path: 'streams/v1/x.json' } });
  assert.equal(parseIndex(single, INDEX_URL).productsUrl, `${RELEASES}streams/v1/x.json`);
  const absolute = index({ x: { datatype: 'image-downloads', path: 'https://elsewhere.example/p.json' } });
  assert.equal(parseIndex(absolute, INDEX_URL).productsUrl, 'https://elsewhere.example/p.json');
});

test('parseProducts keeps the arch, chooses uefi1.img over disk1.img, and builds ImageInfo', () => {
  const images = parseProducts(fixture('products-release.json'), amd64);
  assert.ok(images.every((i) => i.arch === 'amd64'));
  assert.deepEqual(
    images.map((i) => `${i.release}/${i.version}`),
    [
      '16.04/20210420',
      '16.04/20211001',
      '22.04/20251001',
      '22.04/20251015',
      '24.04/20251022',
      '24.04/20251120',
      '25.10/20251010',
      '25.10/20251010.1',
    ],
  );
  const noble = byVersion(images, NOBLE)['20251120']!;
  const doc = JSON.parse(fixture('products-release.json')) as Json;
  const uefi = doc.products[NOBLE].versions['20251120'].items['uefi1.img'];
  assert.deepEqual(noble, {
    id: uefi.sha256,
    product: NOBLE,
    os: 'Ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version: '20251120',
    aliases: ['24.04', 'default', 'lts', 'n', 'noble'],
    supported: true,
    arch: 'amd64',
    item: 'uefi1.img',
    url: `${RELEASES}${uefi.path}`,
    sizeBytes: uefi.size,
    sha256: uefi.sha256,
  });
  assert.equal(byVersion(images, NOBLE)['20251022']!.item, 'disk1.img');
});

test('aliases go to the newest usable version only; other versions get []', () => {
  const images = parseProducts(fixture('products-release.json'), amd64);
  const withAliases = images.filter((i) => i.aliases.length > 0).map((i) => `${i.release}/${i.version}`);
  // 22.04's newest serial has no sha256 (skipped), so its aliases fall to 20251015; 25.10's newest is a .1 respin.
  assert.deepEqual(withAliases, ['16.04/20211001', '22.04/20251015', '24.04/20251120', '25.10/20251010.1']);
  assert.deepEqual(byVersion(images, NOBLE)['20251022']!.aliases, []);
});

test('versions without an image or without a verifiable item are skipped; a uefi1.img without sha256 falls back to disk1.img', () => {
  const images = parseProducts(fixture('products-release.json'), amd64);
  assert.equal(byVersion(images, NOBLE)['20251113'], undefined, 'only lxd/root/manifest items');
  assert.equal(byVersion(images, 'com.ubuntu.cloud:server:22.04:amd64')['20251104'], undefined, 'no sha256');
  const questing = byVersion(images, 'com.ubuntu.cloud:server:25.10:amd64')['20251010.1']!;
  assert.equal(questing.item, 'disk1.img');
  assert.match(questing.url, /cloudimg-amd64\.img$/);
});

test('the newest serial is chosen numerically (.10 after .9), not by file order', () => {
  const text = productsWith((doc) => {
    const versions = doc.products[NOBLE].versions;
    const item = versions['20251120'].items['disk1.img'];
    doc.products[NOBLE].versions = {
      '20251120.10': { items: { 'disk1.img': { ...item, sha256: 'a'.repeat(64) } } },
      '20251120.9': { items: { 'disk1.img': { ...item, sha256: 'b'.repeat(64) } } },
    };
  });
  const noble = byVersion(parseProducts(text, amd64), NOBLE);
  assert.equal(noble['20251120.10']!.aliases.length, 5);
  assert.deepEqual(noble['20251120.9']!.aliases, []);
});

test('other arches, ftype-only items, absent optional fields and unknown fields', () => {
  const arm = parseProducts(fixture('products-release.json'), { arch: 'arm64', baseUrl: 'http://m/x' });
  assert.equal(arm.length, 1);
  assert.equal(arm[0]!.item, 'uefi1.img');
  assert.ok(arm[0]!.url.startsWith('http://m/x/server/'), 'a slash is added to the base');

  const text = productsWith((doc) => {
    const p = doc.products[NOBLE];
    const items = p.versions['20251120'].items;
    p.versions['20251120'].items = { 'renamed-uefi': items['uefi1.img'], 'disk1.img': items['disk1.img'] };
    delete p.supported;
    delete p.os;
    delete p.release_title;
    delete p.aliases;
    p.some_future_field = { nested: [1, 2, 3] };
  });
  const noble = byVersion(parseProducts(text, amd64), NOBLE)['20251120']!;
  assert.equal(noble.item, 'uefi1.img', 'matched by ftype');
  assert.equal(noble.supported, true, 'absent supported means supported');
  assert.equal(noble.os, 'Ubuntu');
  assert.equal(noble.releaseTitle, '24.04', 'title falls back to the release number');
  assert.deepEqual(noble.aliases, []);
});

test('an unsupported product stays unsupported unless it is the devel release', () => {
  const images = parseProducts(fixture('products-release.json'), amd64);
  assert.ok(images.filter((i) => i.release === '16.04').every((i) => !i.supported));
  const daily = parseProducts(fixture('products-daily.json'), amd64);
  assert.ok(
    daily.filter((i) => i.codename === 'resolute').every((i) => i.supported),
    'devel alias',
  );
});

test('a 50 MB products file parses correctly', () => {
  const text = syntheticProducts(50 * 1024 * 1024);
  assert.ok(text.length >= 50 * 1024 * 1024);
  const started = performance.now();
  const images = parseProducts(text, { arch: 'amd64', baseUrl: RELEASES });
  const elapsedMs = performance.now() - started;
  assert.ok(images.length > 0 && images.length % 60 === 0, `${images.length} images, 60 per product`);
  assert.ok(images.every((i) => i.arch === 'amd64' && i.item === 'uefi1.img' && i.url.startsWith(RELEASES)));
  assert.equal(new Set(images.map((i) => i.id)).size, images.length, 'distinct ids');
  assert.equal(
    images.filter((i) => i.aliases.length > 0).length,
    images.length / 60,
    'one alias holder per product',
  );
  // Generous bound: catches an accidental quadratic walk, not a slow CI machine.
  assert.ok(elapsedMs < 10_000, `parse took ${elapsedMs} ms`);
});
