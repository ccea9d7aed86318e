import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../../core/errors.js';
import { readCatalogTestdata } from '../../testing/simplestreams-fixture.js';
import { buildFindView, displayAliases, type FindRow, type RemoteImages } from './find-view.js';
import { parseProducts } from './simplestreams.js';

const load = (name: string, baseUrl: string) =>
  parseProducts(readCatalogTestdata(name), { arch: 'amd64', baseUrl });
const release = load('products-release.json', 'https://cloud-images.ubuntu.com/releases/');
const daily = load('products-daily.json', 'https://cloud-images.ubuntu.com/daily/');
const remotes: RemoteImages[] = [
  { remote: 'release', images: release },
  { remote: 'daily', images: daily },
];
/** Rows as key → what is shown of them, for compact expectations (the JSON shape is tested in daemon/routes). */
const shown = (rows: FindRow[]) =>
  Object.fromEntries(
    rows.map((r) => [
      r.key,
      {
        os: r.image.os,
        release: r.image.releaseTitle,
        version: r.image.version,
        aliases: r.aliases,
        remote: r.remote,
      },
    ]),
  );
const find = (query: string, showUnsupported = false) =>
  shown(buildFindView({ remotes, query, showUnsupported }));
const idOf = (version: string) => release.find((i) => i.version === version)!.id;

test('displayAliases drops one-letter aliases, default and ubuntu, from the end, keeping one', () => {
  assert.deepEqual(displayAliases(['24.04', 'default', 'lts', 'n', 'noble']), ['24.04', 'lts', 'noble']);
  assert.deepEqual(displayAliases(['22.04', 'j', 'jammy']), ['22.04', 'jammy']);
  assert.deepEqual(displayAliases(['n']), ['n']);
  assert.deepEqual(displayAliases(['default', 'n']), ['default']);
  assert.deepEqual(displayAliases(['a', 'ubuntu', 'b']), ['a']);
  assert.deepEqual(displayAliases([]), []);
});

test('blank find: newest aliased supported image per release title, release remote first, sorted by release', () => {
  const view = find('');
  assert.deepEqual(view, {
    '22.04': {
      os: 'Ubuntu',
      release: '22.04 LTS',
      version: '20251015',
      aliases: ['jammy'],
      remote: 'release',
    },
    '24.04': {
      os: 'Ubuntu',
      release: '24.04 LTS',
      version: '20251120',
      aliases: ['lts', 'noble'],
      remote: 'release',
    },
    '25.10': {
      os: 'Ubuntu',
      release: '25.10',
      version: '20251010.1',
      aliases: ['questing'],
      remote: 'release',
    },
    'daily:26.04': {
      os: 'Ubuntu',
      release: '26.04 LTS',
      version: '20251126',
      aliases: ['devel', 'resolute'],
      remote: 'daily',
    },
  });
  assert.deepEqual(Object.keys(view), ['22.04', '24.04', '25.10', 'daily:26.04'], 'display order');
});

test('blank find with showUnsupported adds unsupported releases in release order', () => {
  const view = find('', true);
  assert.deepEqual(Object.keys(view), ['16.04', '22.04', '24.04', '25.10', 'daily:26.04']);
  assert.deepEqual(view['16.04'], {
    os: 'Ubuntu',
    release: '16.04 LTS',
    version: '20211001',
    aliases: ['xenial'],
    remote: 'release',
  });
});

test('blank find shows a daily release when the release remote lacks that title', () => {
  const view = shown(
    buildFindView({
      remotes: [
        { remote: 'release', images: release.filter((i) => i.release !== '25.10') },
        { remote: 'daily', images: daily },
      ],
      query: '',
      showUnsupported: false,
    }),
  );
  assert.deepEqual(Object.keys(view), ['22.04', '24.04', 'daily:25.10', 'daily:26.04']);
  assert.equal(view['daily:25.10']!.version, '20251126', 'newest daily serial');
});

test('find STRING keys the match by the string, with no aliases and no remote when one remote matched', () => {
  assert.deepEqual(find('jammy'), {
    jammy: { os: 'Ubuntu', release: '22.04 LTS', version: '20251015', aliases: [], remote: '' },
  });
  assert.deepEqual(Object.keys(find('lts')), ['lts', 'daily:lts']);
});

test('find STRING matching in both remotes prefixes only the non-default remote', () => {
  assert.deepEqual(find('noble'), {
    noble: { os: 'Ubuntu', release: '24.04 LTS', version: '20251120', aliases: [], remote: '' },
    'daily:noble': { os: 'Ubuntu', release: '24.04 LTS', version: '20251125', aliases: [], remote: 'daily' },
  });
});

test('find STRING matching only in daily is not prefixed either (as Multipass)', () => {
  assert.deepEqual(find('resolute'), {
    resolute: { os: 'Ubuntu', release: '26.04 LTS', version: '20251126', aliases: [], remote: '' },
  });
});

test('find remote:STRING restricts to that remote and always names it', () => {
  assert.deepEqual(find('daily:noble'), {
    'daily:noble': { os: 'Ubuntu', release: '24.04 LTS', version: '20251125', aliases: [], remote: 'daily' },
  });
  assert.deepEqual(find('release:noble'), {
    'release:noble': {
      os: 'Ubuntu',
      release: '24.04 LTS',
      version: '20251120',
      aliases: [],
      remote: 'release',
    },
  });
  assert.deepEqual(find('daily:jammy'), {});
});

test('find remote: alone lists every aliased image of that remote, prefixed', () => {
  assert.deepEqual(Object.keys(find('daily:')), ['daily:24.04', 'daily:25.10', 'daily:26.04']);
  const view = find('release:', true);
  assert.deepEqual(Object.keys(view), ['release:16.04', 'release:22.04', 'release:24.04', 'release:25.10']);
  assert.equal(view['release:24.04']!.remote, 'release');
});

test('find by id prefix keys each match by its 12-digit id, and lists every candidate', () => {
  const view = find('abcd');
  assert.deepEqual(Object.keys(view), [idOf('20251001').slice(0, 12), idOf('20251022').slice(0, 12)]);
  assert.deepEqual(
    Object.values(view).map((e) => [e.release, e.version, e.remote]),
    [
      ['22.04 LTS', '20251001', ''],
      ['24.04 LTS', '20251022', ''],
    ],
  );
});

test('find of an unsupported image needs showUnsupported', () => {
  assert.deepEqual(find('xenial'), {});
  assert.deepEqual(find('xenial', true), {
    xenial: { os: 'Ubuntu', release: '16.04 LTS', version: '20211001', aliases: [], remote: '' },
  });
});

test('find of an unknown name is empty; an unknown remote is an invalid-argument error', () => {
  assert.deepEqual(find('nope'), {});
  assert.throws(
    () => find('foo:noble'),
    (error: unknown) =>
      error instanceof SkiffError &&
      error.code === 'invalid-argument' &&
      /unknown remote "foo"/.test(error.message),
  );
});
