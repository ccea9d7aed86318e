import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIndex, parseProducts } from '../services/catalog/simplestreams.js';
import { buildSimplestreamsTree, syntheticProducts, type FixtureProduct } from './simplestreams-fixture.js';

const noble: FixtureProduct = {
  release: '24.04',
  codename: 'noble',
  title: '24.04 LTS',
  aliases: ['24.04', 'default', 'lts', 'n', 'noble'],
  versions: [
    {
      serial: '20251113',
      path: 'server/releases/noble/release-20251113/a.img',
      sizeBytes: 10,
      sha256: 'a'.repeat(64),
    },
    {
      serial: '20251120',
      path: 'server/releases/noble/release-20251120/b.img',
      sizeBytes: 20,
      sha256: 'b'.repeat(64),
      item: 'uefi1.img',
    },
    { serial: '20251121', path: 'server/releases/noble/release-20251121/c.img', sizeBytes: 30, sha256: '' },
  ],
};
const arm: FixtureProduct = { ...noble, arch: 'arm64', supported: false, os: 'ubuntu' };

test('the tree parses back into what was put in', () => {
  const base = 'http://127.0.0.1:9/releases/';
  const tree = buildSimplestreamsTree({ products: [noble, arm] });
  assert.deepEqual(Object.keys(tree), [
    'streams/v1/index.json',
    'streams/v1/com.ubuntu.cloud:released:download.json',
  ]);
  const { productsUrl } = parseIndex(tree['streams/v1/index.json']!, `${base}streams/v1/index.json`);
  assert.equal(productsUrl, `${base}streams/v1/com.ubuntu.cloud:released:download.json`);
  const images = parseProducts(tree['streams/v1/com.ubuntu.cloud:released:download.json']!, {
    arch: 'amd64',
    baseUrl: base,
  });
  assert.deepEqual(
    images.map((i) => [i.version, i.item, i.sizeBytes, i.id, i.url, i.aliases.length]),
    [
      ['20251113', 'disk1.img', 10, 'a'.repeat(64), `${base}server/releases/noble/release-20251113/a.img`, 0],
      ['20251120', 'uefi1.img', 20, 'b'.repeat(64), `${base}server/releases/noble/release-20251120/b.img`, 5],
    ],
    'the version without sha256 is left out, so aliases go to 20251120',
  );
  assert.equal(images[0]!.product, 'com.ubuntu.cloud:server:24.04:amd64');
  const armImages = parseProducts(tree['streams/v1/com.ubuntu.cloud:released:download.json']!, {
    arch: 'arm64',
    baseUrl: base,
  });
  assert.ok(armImages.every((i) => !i.supported));
});

test("the index and products files have the real servers' fields", () => {
  const tree = buildSimplestreamsTree({ products: [noble, arm], stream: 'daily' });
  const index = JSON.parse(tree['streams/v1/index.json']!);
  const entry = index.index['com.ubuntu.cloud:daily:download'];
  assert.equal(index.format, 'index:1.0');
  assert.equal(entry.datatype, 'image-downloads');
  assert.equal(entry.path, 'streams/v1/com.ubuntu.cloud:daily:download.json');
  assert.deepEqual(entry.products, [
    'com.ubuntu.cloud.daily:server:24.04:amd64',
    'com.ubuntu.cloud.daily:server:24.04:arm64',
  ]);
  const products = JSON.parse(tree[entry.path]!);
  assert.equal(products.content_id, 'com.ubuntu.cloud:daily:download');
  assert.equal(products.format, 'products:1.0');
  assert.equal(typeof products.updated, 'string');
  const product = products.products['com.ubuntu.cloud.daily:server:24.04:amd64'];
  assert.equal(product.aliases, '24.04,default,lts,n,noble');
  assert.deepEqual(
    [product.version, product.release, product.release_title],
    ['24.04', 'noble', '24.04 LTS'],
  );
  const item = product.versions['20251113'].items['disk1.img'];
  assert.deepEqual(Object.keys(item).sort(), ['ftype', 'md5', 'path', 'sha256', 'size']);
  assert.equal(product.versions['20251121'].items['disk1.img'].sha256, undefined);
});

test('the same options give the same bytes', () => {
  assert.deepEqual(
    buildSimplestreamsTree({ products: [noble] }),
    buildSimplestreamsTree({ products: [noble] }),
  );
  assert.equal(syntheticProducts(100_000), syntheticProducts(100_000));
});

test('syntheticProducts reaches the target size in the real shape, with several arches and item types', () => {
  const text = syntheticProducts(1_000_000);
  assert.ok(text.length >= 1_000_000);
  const doc = JSON.parse(text);
  assert.equal(doc.datatype, 'image-downloads');
  const products = Object.values<Record<string, any>>(doc.products); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.ok(new Set(products.map((p) => p.arch)).size >= 4);
  const version = Object.values<Record<string, any>>(products[0]!.versions)[0]!; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(Object.keys(version.items).sort(), [
    'disk1.img',
    'lxd.tar.xz',
    'manifest',
    'root.tar.xz',
    'uefi1.img',
  ]);
  for (const item of Object.values<Record<string, unknown>>(version.items)) {
    assert.match(String(item['sha256']), /^[0-9a-f]{64}$/);
    assert.match(String(item['md5']), /^[0-9a-f]{32}$/);
    assert.equal(typeof item['size'], 'number');
  }
  const images = parseProducts(text, { arch: 'arm64', baseUrl: 'http://m/' });
  assert.ok(images.length > 0);
});
