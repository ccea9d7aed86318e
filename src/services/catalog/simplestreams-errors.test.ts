import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCatalogTestdata } from '../../testing/simplestreams-fixture.js';
import { CatalogDataError } from './data-error.js';
import { parseIndex, parseProducts } from './simplestreams.js';

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

function assertDataError(
  fn: () => unknown,
  kind: 'malformed' | 'empty',
  jsonPath: string,
  reason?: RegExp,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CatalogDataError, `expected CatalogDataError, got ${String(error)}`);
    assert.equal(error.kind, kind);
    assert.equal(error.jsonPath, jsonPath);
    assert.equal(error.code, 'catalog-unavailable');
    assert.ok(error.message.includes(` at ${jsonPath}: `), error.message);
    if (reason) assert.match(error.message, reason);
    return true;
  });
}

test('parseIndex errors: truncated, wrong types, no image-downloads entry', () => {
  const text = fixture('index.json');
  assertDataError(() => parseIndex(text.slice(0, 200), INDEX_URL), 'malformed', '$', /JSON/);
  assertDataError(() => parseIndex('[]', INDEX_URL), 'malformed', '$', /expected an object, got array/);
  assertDataError(() => parseIndex('{"index": "x"}', INDEX_URL), 'malformed', '$.index', /got string/);
  assertDataError(
    () => parseIndex('{}', INDEX_URL),
    'malformed',
    '$.index',
    /missing \(expected an object\)/,
  );
  assertDataError(
    () => parseIndex('{"index": {"a": {"datatype": "image-downloads", "path": 7}}}', INDEX_URL),
    'malformed',
    '$.index["a"].path',
    /expected a non-empty string, got number/,
  );
  assertDataError(
    () => parseIndex('{"index": {"a": null}}', INDEX_URL),
    'malformed',
    '$.index["a"]',
    /got null/,
  );
  assertDataError(
    () => parseIndex('{"index": {"a": {"datatype": "image-ids", "path": "a.json"}}}', INDEX_URL),
    'empty',
    '$.index',
    /no entry with datatype "image-downloads"/,
  );
});

test('malformed products: truncated JSON and top-level shape', () => {
  const text = fixture('products-release.json');
  for (const cut of [0, 1, 100, text.length / 2, text.length - 3]) {
    assertDataError(() => parseProducts(text.slice(0, cut), amd64), 'malformed', '$', /JSON/);
  }
  assertDataError(() => parseProducts('null', amd64), 'malformed', '$', /expected an object, got null/);
  assertDataError(() => parseProducts('{"products": []}', amd64), 'malformed', '$.products', /got array/);
  assertDataError(() => parseProducts('{}', amd64), 'malformed', '$.products', /missing/);
});

test('malformed products: wrong types and missing fields name the JSON path', () => {
  const p = `$.products["${NOBLE}"]`;
  const v = `${p}.versions["20251120"]`;
  const cases: Array<[string, (doc: Json) => void, string, RegExp]> = [
    ['product', (d) => (d.products[NOBLE] = 'x'), p, /expected an object, got string/],
    ['arch', (d) => (d.products[NOBLE].arch = 64), `${p}.arch`, /expected a string, got number/],
    [
      'versions',
      (d) => (d.products[NOBLE].versions = 'x'),
      `${p}.versions`,
      /expected an object, got string/,
    ],
    ['version missing', (d) => delete d.products[NOBLE].version, `${p}.version`, /missing/],
    ['codename', (d) => (d.products[NOBLE].release = ['noble']), `${p}.release`, /got array/],
    ['title', (d) => (d.products[NOBLE].release_title = 24), `${p}.release_title`, /got number/],
    ['aliases', (d) => (d.products[NOBLE].aliases = ['lts']), `${p}.aliases`, /got array/],
    ['supported', (d) => (d.products[NOBLE].supported = 'yes'), `${p}.supported`, /expected a boolean/],
    ['version entry', (d) => (d.products[NOBLE].versions['20251120'] = 5), v, /got number/],
    ['items', (d) => delete d.products[NOBLE].versions['20251120'].items, `${v}.items`, /missing/],
    [
      'item',
      (d) => (d.products[NOBLE].versions['20251120'].items.manifest = 'x'),
      `${v}.items["manifest"]`,
      /got string/,
    ],
    [
      'sha256 type',
      (d) => (d.products[NOBLE].versions['20251120'].items['uefi1.img'].sha256 = 12),
      `${v}.items["uefi1.img"].sha256`,
      /expected a sha256 hex string, got number/,
    ],
    [
      'sha256 text',
      (d) => (d.products[NOBLE].versions['20251120'].items['uefi1.img'].sha256 = 'xyz'),
      `${v}.items["uefi1.img"].sha256`,
      /64 hex digits/,
    ],
    [
      'path',
      (d) => delete d.products[NOBLE].versions['20251120'].items['uefi1.img'].path,
      `${v}.items["uefi1.img"].path`,
      /missing/,
    ],
    [
      'size type',
      (d) => (d.products[NOBLE].versions['20251120'].items['uefi1.img'].size = '12'),
      `${v}.items["uefi1.img"].size`,
      /got string/,
    ],
    [
      'size value',
      (d) => (d.products[NOBLE].versions['20251120'].items['uefi1.img'].size = -1),
      `${v}.items["uefi1.img"].size`,
      /non-negative integer, got -1/,
    ],
  ];
  for (const [name, edit, path, reason] of cases) {
    const text = productsWith(edit);
    assert.doesNotThrow(() => JSON.parse(text), name);
    assertDataError(() => parseProducts(text, amd64), 'malformed', path, reason);
  }
});

test('problems inside products of another arch do not matter', () => {
  const text = productsWith((d) => (d.products['com.ubuntu.cloud:server:24.04:arm64'].versions = 'broken'));
  assert.equal(parseProducts(text, amd64).length, 8);
});

test('empty: no products, only other arches, or nothing verifiable', () => {
  assertDataError(
    () => parseProducts('{"products": {}}', amd64),
    'empty',
    '$.products',
    /architecture "amd64"/,
  );
  const text = fixture('products-release.json');
  assertDataError(
    () => parseProducts(text, { arch: 's390x', baseUrl: RELEASES }),
    'empty',
    '$.products',
    /"s390x"/,
  );
  const unverifiable = productsWith((d) => {
    for (const product of Object.values<Json>(d.products)) {
      for (const version of Object.values<Json>(product.versions)) {
        for (const item of Object.values<Json>(version.items)) delete item.sha256;
      }
    }
  });
  assertDataError(() => parseProducts(unverifiable, amd64), 'empty', '$.products');
});
