import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageInfo } from '../../services/catalog/types.js';
import { findJson } from './find-json.js';

const image = (release: string, releaseTitle: string, version: string): ImageInfo =>
  ({ os: 'Ubuntu', release, releaseTitle, version }) as ImageInfo;

test("find JSON: Multipass's fields in Multipass's order, keys in row order, errors and warnings as given", () => {
  const json = findJson({
    errors: ['no catalog for remote "daily"'],
    warnings: ['catalog of remote "release" is stale'],
    rows: [
      {
        key: '24.04',
        aliases: ['lts', 'noble'],
        remote: 'release',
        image: image('24.04', '24.04 LTS', '20251120'),
      },
      { key: 'daily:25.10', aliases: [], remote: 'daily', image: image('25.10', '25.10', '20251126') },
      { key: '22.04', aliases: ['jammy'], remote: '', image: image('22.04', '22.04 LTS', '20251015') },
    ],
  });
  assert.deepEqual(Object.keys(json), ['errors', 'warnings', 'images']);
  assert.deepEqual(Object.keys(json.images), ['24.04', 'daily:25.10', '22.04']);
  assert.deepEqual(Object.keys(json.images['24.04']!), ['os', 'release', 'version', 'aliases', 'remote']);
  assert.deepEqual(json.images['24.04'], {
    os: 'Ubuntu',
    release: '24.04 LTS',
    version: '20251120',
    aliases: ['lts', 'noble'],
    remote: 'release',
  });
  assert.deepEqual(json.images['22.04']?.remote, '');
  assert.deepEqual(json.errors, ['no catalog for remote "daily"']);
  assert.deepEqual(json.warnings, ['catalog of remote "release" is stale']);
});

test('find JSON of no rows has an empty images object', () => {
  assert.deepEqual(findJson({ errors: [], warnings: [], rows: [] }), {
    errors: [],
    warnings: [],
    images: {},
  });
});
