import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../../core/errors.js';
import { buildSimplestreamsTree, readCatalogTestdata } from '../../testing/simplestreams-fixture.js';
import { indexImages, matchImages, resolveImage, splitRemote } from './query.js';
import { parseProducts } from './simplestreams.js';

const opts = { arch: 'amd64', baseUrl: 'https://cloud-images.ubuntu.com/releases/' };
const images = parseProducts(readCatalogTestdata('products-release.json'), opts);
const image = (release: string, version: string) => {
  const found = images.find((i) => i.release === release && i.version === version);
  assert.ok(found, `${release}/${version} in fixture`);
  return found;
};

function assertSkiffError(
  fn: () => unknown,
  code: string,
  message: RegExp,
  details?: Record<string, unknown>,
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SkiffError);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    if (details) assert.deepEqual(error.details, details);
    return true;
  });
}

test('a blank query means alias "default"', () => {
  assert.equal(resolveImage(images, ''), image('24.04', '20251120'));
  assert.equal(resolveImage(images, '   '), image('24.04', '20251120'));
});

test('every alias of a product resolves to its newest usable version', () => {
  for (const alias of ['24.04', 'default', 'lts', 'n', 'noble']) {
    assert.equal(resolveImage(images, alias), image('24.04', '20251120'), alias);
  }
  assert.equal(resolveImage(images, 'jammy'), image('22.04', '20251015'));
  assert.equal(resolveImage(images, 'questing'), image('25.10', '20251010.1'));
  assert.equal(resolveImage(images, 'ubuntu'), image('24.04', '20251120'), 'Multipass: ubuntu = the lts');
  assert.equal(matchImages(images, 'noble').kind, 'alias');
});

test('aliases are exact: no case folding, no prefixes of aliases', () => {
  assertSkiffError(() => resolveImage(images, 'Noble'), 'not-found', /no image matching "Noble"/);
  assertSkiffError(() => resolveImage(images, 'nob'), 'not-found', /no image matching "nob"/);
});

test('release number or codename resolves to the newest version when the stream gives no such alias', () => {
  const focal = (serial: string, sha: string) => ({
    serial,
    path: `focal/${serial}.img`,
    sizeBytes: 1,
    sha256: sha,
  });
  const tree = buildSimplestreamsTree({
    products: [
      {
        release: '20.04',
        codename: 'focal',
        title: '20.04 LTS',
        aliases: [],
        versions: [
          focal('20250101', '1'.repeat(64)),
          focal('20250301', '3'.repeat(64)),
          focal('20250201', '2'.repeat(64)),
        ],
      },
    ],
  });
  const plain = parseProducts(tree['streams/v1/com.ubuntu.cloud:released:download.json']!, opts);
  assert.equal(resolveImage(plain, 'focal').version, '20250301');
  assert.equal(resolveImage(plain, '20.04').version, '20250301');
  assert.equal(matchImages(plain, 'focal').kind, 'release');
  assertSkiffError(() => resolveImage(plain, ''), 'not-found', /no image matching "default"/);
});

test('an id prefix matches across all versions, case-insensitively', () => {
  const old = image('24.04', '20251022');
  assert.equal(resolveImage(images, old.id), old);
  assert.equal(resolveImage(images, old.id.slice(0, 7)), old);
  assert.equal(resolveImage(images, old.id.slice(0, 7).toUpperCase()), old);
  assert.equal(resolveImage(images, 'abcd0'), image('22.04', '20251001'));
  assert.equal(matchImages(images, 'abcd0').kind, 'id');
});

test('an ambiguous id prefix is an invalid-argument error with the number of candidates', () => {
  assertSkiffError(
    () => resolveImage(images, 'abcd'),
    'invalid-argument',
    /"abcd" is ambiguous.*2 image ids/,
    {
      query: 'abcd',
      candidates: 2,
    },
  );
  const match = matchImages(images, 'ABC');
  assert.equal(match.kind, 'id');
  assert.deepEqual(
    match.images.map((i) => i.version),
    ['20251001', '20251022'],
  );
});

test('the same id in two versions counts once', () => {
  const twin = { ...image('24.04', '20251022'), version: '20251023', aliases: [] };
  assert.equal(resolveImage([...images, twin], twin.id.slice(0, 10)).version, '20251022');
});

test('unsupported products match only with showUnsupported; otherwise not-found naming the flag', () => {
  for (const query of ['xenial', '16.04', image('16.04', '20210420').id.slice(0, 8)]) {
    assertSkiffError(
      () => resolveImage(images, query),
      'not-found',
      /no longer supported.*--show-unsupported/,
      {
        query,
        unsupported: true,
      },
    );
  }
  assert.equal(resolveImage(images, 'xenial', { showUnsupported: true }), image('16.04', '20211001'));
  assert.equal(resolveImage(images, 'x', { showUnsupported: true }), image('16.04', '20211001'));
  const hiddenOnly = matchImages(images, 'xenial');
  assert.deepEqual([hiddenOnly.kind, hiddenOnly.images.length, hiddenOnly.hidden.length], ['alias', 0, 1]);
});

test('an unsupported image does not make an id prefix ambiguous', () => {
  const xenial = image('16.04', '20210420');
  const clash = {
    ...image('24.04', '20251120'),
    id: `${xenial.id.slice(0, 6)}${'0'.repeat(58)}`,
    version: '1',
  };
  assert.equal(resolveImage([...images, clash], xenial.id.slice(0, 6)), clash);
});

test('nothing matches: not-found with the query', () => {
  assertSkiffError(() => resolveImage(images, 'nope'), 'not-found', /^no image matching "nope"$/, {
    query: 'nope',
  });
  assertSkiffError(() => resolveImage(images, 'fff0000'), 'not-found', /no image matching "fff0000"/);
  assert.deepEqual(matchImages(images, 'nope'), { kind: null, images: [], hidden: [] });
});

test('a prebuilt index gives the same answers', () => {
  const index = indexImages(images);
  for (const query of ['', 'lts', 'jammy', 'abcd0', image('25.10', '20251010').id]) {
    assert.equal(resolveImage(index, query), resolveImage(images, query), query);
  }
});

test('a stream that defines "ubuntu" itself keeps it', () => {
  const custom = images.map((i) =>
    i.version === '20251010.1' ? { ...i, aliases: [...i.aliases, 'ubuntu'] } : i,
  );
  assert.equal(resolveImage(custom, 'ubuntu').release, '25.10');
});

test('splitRemote separates an optional remote prefix', () => {
  assert.deepEqual(splitRemote('daily:noble'), { remote: 'daily', name: 'noble' });
  assert.deepEqual(splitRemote('daily:'), { remote: 'daily', name: '' });
  assert.deepEqual(splitRemote('noble'), { remote: null, name: 'noble' });
  assert.deepEqual(splitRemote(''), { remote: null, name: '' });
});

test('splitRemote refuses an empty remote: never `remote "" is unknown`', () => {
  for (const query of [':', ':noble']) {
    assert.throws(
      () => splitRemote(query),
      (error: SkiffError) =>
        error.code === 'invalid-argument' &&
        error.message === `"${query}" has no remote name before ":" (write e.g. daily:noble, or just noble)`,
    );
  }
});
