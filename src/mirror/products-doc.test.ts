import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPublish, productName, type StreamDocs } from './products-doc.js';
import { parsePublishOptions, type PublishOptions } from './publish-options.js';
import { parseIndex, parseProducts } from '../services/catalog/simplestreams.js';

const NOW = new Date(Date.UTC(2026, 10, 25, 12));
const noble: PublishOptions = parsePublishOptions(
  { release: 'noble', version: '24.04', aliases: 'noble,24.04,lts', title: '24.04 LTS' },
  'amd64',
);
const item = (c: string) => ({ sizeBytes: 1000, sha256: c.repeat(64), md5: c.repeat(32) });

function readBack(docs: StreamDocs) {
  const base = 'http://m/releases/';
  const { productsUrl } = parseIndex(JSON.stringify(docs.index), `${base}streams/v1/index.json`);
  assert.equal(productsUrl, `${base}streams/v1/com.ubuntu.cloud:released:download.json`);
  return parseProducts(JSON.stringify(docs.products), { arch: 'amd64', baseUrl: base });
}

test('a first image creates index and products that skiff reads back', () => {
  const plan = planPublish(null, noble, item('a'), NOW);
  assert.equal(plan.serial, '20261125');
  assert.equal(plan.product, 'com.ubuntu.cloud:server:24.04:amd64');
  assert.equal(plan.itemPath, 'ubuntu/noble/20261125/ubuntu-24.04-amd64.img');
  assert.equal(plan.noop, false);
  const images = readBack(plan.docs);
  assert.equal(images.length, 1);
  assert.deepEqual(images[0]!.aliases, ['noble', '24.04', 'lts']);
  assert.equal(images[0]!.id, 'a'.repeat(64));
  assert.equal(images[0]!.url, 'http://m/releases/ubuntu/noble/20261125/ubuntu-24.04-amd64.img');
  assert.equal(images[0]!.releaseTitle, '24.04 LTS');
});

test('a new version of a product keeps the old ones and the aliases move to the newest', () => {
  const first = planPublish(null, noble, item('a'), NOW);
  const second = planPublish(first.docs, noble, item('b'), new Date(Date.UTC(2026, 10, 26)));
  assert.equal(second.serial, '20261126');
  const images = readBack(second.docs);
  assert.deepEqual(images.map((i) => [i.version, i.aliases.length > 0]).sort(), [
    ['20261125', false],
    ['20261126', true],
  ]);
});

test('the same day gets .1, .2 serials; the same image again is a no-op', () => {
  const first = planPublish(null, noble, item('a'), NOW);
  const again = planPublish(first.docs, noble, item('a'), NOW);
  assert.equal(again.noop, true);
  assert.equal(again.serial, '20261125');
  assert.deepEqual(again.docs, first.docs);
  const second = planPublish(first.docs, noble, item('b'), NOW);
  assert.equal(second.serial, '20261125.1');
  const third = planPublish(second.docs, noble, item('c'), NOW);
  assert.equal(third.serial, '20261125.2');
  assert.equal(readBack(third.docs).find((i) => i.aliases.length > 0)?.version, '20261125.2');
});

test('an explicit serial that holds another image is a conflict', () => {
  const first = planPublish(null, { ...noble, serial: '20250101' }, item('a'), NOW);
  assert.throws(
    () => planPublish(first.docs, { ...noble, serial: '20250101' }, item('b'), NOW),
    (e: Error & { code?: string }) => e.code === 'conflict' && /20250101.*another image/.test(e.message),
  );
});

test('an alias claimed by another product is refused', () => {
  const first = planPublish(null, noble, item('a'), NOW);
  const jammy = parsePublishOptions({ release: 'jammy', version: '22.04', aliases: 'jammy,lts' }, 'amd64');
  assert.throws(
    () => planPublish(first.docs, jammy, item('b'), NOW),
    /alias "lts" already belongs to com\.ubuntu\.cloud:server:24\.04:amd64/,
  );
});

test('other products and non-Ubuntu names', () => {
  const first = planPublish(null, noble, item('a'), NOW);
  const tiny = parsePublishOptions(
    { release: 'tiny', version: '1.0', aliases: 'tiny', os: 'skiff-test', unsupported: true },
    'amd64',
  );
  assert.equal(productName(tiny), 'org.skiff.mirror:skiff-test:1.0:amd64');
  const plan = planPublish(first.docs, tiny, item('b'), NOW);
  const images = readBack(plan.docs);
  assert.equal(images.length, 2);
  assert.equal(images.find((i) => i.codename === 'tiny')?.supported, false);
  assert.deepEqual(
    (plan.docs.index['index'] as Record<string, { products: string[] }>)[
      'com.ubuntu.cloud:released:download'
    ]!.products,
    ['com.ubuntu.cloud:server:24.04:amd64', 'org.skiff.mirror:skiff-test:1.0:amd64'],
  );
  const daily = planPublish(null, { ...noble, stream: 'daily' }, item('c'), NOW);
  assert.equal(daily.product, 'com.ubuntu.cloud.daily:server:24.04:amd64');
  assert.equal(daily.docs.products['content_id'], 'com.ubuntu.cloud:daily:download');
});

test('versions as distributions write them are accepted: 12, 24.04, 24.10, 12.5', () => {
  for (const version of ['12', '24.04', '24.10', '12.5'])
    assert.equal(parsePublishOptions({ release: 'r', version, aliases: 'r' }, 'amd64').version, version);
  for (const version of ['v12', '12.', '.5', '1.2.3.4', '24.04 LTS'])
    assert.throws(() => parsePublishOptions({ release: 'r', version, aliases: 'r' }, 'amd64'), /--version/);
});

test('option validation names every bad flag', () => {
  assert.throws(
    () =>
      parsePublishOptions(
        { release: 'Noble', version: '24.x', aliases: 'ok,Bad Alias', stream: 'weekly', serial: '20261345' },
        'amd64',
      ),
    (e: Error) =>
      [
        '--release "Noble"',
        '--version "24.x"',
        '"Bad Alias"',
        '--stream "weekly"',
        '--serial "20261345"',
      ].every((s) => e.message.includes(s)),
  );
  assert.throws(
    () => parsePublishOptions({}, 'amd64'),
    /--release is required.*--version is required.*--aliases is required/,
  );
  const ok = parsePublishOptions(
    { release: 'noble', version: '24.04', aliases: 'noble, lts', serial: '20261125.3' },
    'arm64',
  );
  assert.deepEqual(
    [ok.arch, ok.aliases, ok.serial, ok.title, ok.os, ok.stream, ok.supported],
    ['arm64', ['noble', 'lts'], '20261125.3', '24.04', 'ubuntu', 'releases', true],
  );
});
