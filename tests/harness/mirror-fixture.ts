/**
 * @module A small Ubuntu-like mirror tree (releases/ and daily/) for integration tests.
 */
import { buildSimplestreamsTree, type FixtureProduct } from '../../src/testing/simplestreams-fixture.js';
import type { MirrorTree } from './mirror-server.js';

const sha = (c: string) => c.repeat(64);

export const NOBLE: FixtureProduct = {
  release: '24.04',
  codename: 'noble',
  title: '24.04 LTS',
  aliases: ['24.04', 'default', 'lts', 'n', 'noble'],
  versions: [
    {
      serial: '20251101',
      path: 'server/releases/noble/release-20251101/noble-amd64.img',
      sizeBytes: 1000,
      sha256: sha('1'),
    },
    {
      serial: '20251120',
      path: 'server/releases/noble/release-20251120/noble-amd64.img',
      sizeBytes: 1000,
      sha256: sha('a'),
    },
  ],
};
export const JAMMY: FixtureProduct = {
  release: '22.04',
  codename: 'jammy',
  title: '22.04 LTS',
  aliases: ['22.04', 'j', 'jammy'],
  versions: [
    { serial: '20251105', path: 'server/releases/jammy/jammy-amd64.img', sizeBytes: 1000, sha256: sha('b') },
  ],
};
export const FOCAL: FixtureProduct = {
  release: '20.04',
  codename: 'focal',
  title: '20.04 LTS',
  aliases: ['20.04', 'f', 'focal'],
  supported: false,
  versions: [
    { serial: '20250501', path: 'server/releases/focal/focal-amd64.img', sizeBytes: 1000, sha256: sha('c') },
  ],
};
export const QUESTING: FixtureProduct = {
  release: '25.10',
  codename: 'questing',
  title: '25.10',
  aliases: ['25.10', 'q', 'questing', 'devel'],
  versions: [
    {
      serial: '20251121',
      path: 'server/daily/questing/questing-amd64.img',
      sizeBytes: 1000,
      sha256: sha('d'),
    },
  ],
};

/** A tree with `releases/` (noble, jammy, unsupported focal) and `daily/` (noble, questing). */
export function mirrorTree(
  options: { releases?: FixtureProduct[]; daily?: FixtureProduct[] } = {},
): MirrorTree {
  const tree: MirrorTree = {};
  const add = (stream: 'releases' | 'daily', products: FixtureProduct[]) => {
    for (const [path, body] of Object.entries(buildSimplestreamsTree({ stream, products })))
      tree[`${stream}/${path}`] = body;
  };
  add('releases', options.releases ?? [NOBLE, JAMMY, FOCAL]);
  add('daily', options.daily ?? [NOBLE, QUESTING]);
  return tree;
}

export const RELEASE_PRODUCTS = 'releases/streams/v1/com.ubuntu.cloud:released:download.json';
export const RELEASE_INDEX = 'releases/streams/v1/index.json';
