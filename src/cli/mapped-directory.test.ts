import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mappedDirectory } from './mapped-directory.js';

const mounts = [
  { source_path: '/home/u/src', target_path: '/home/ubuntu/src' },
  { source_path: '/data/', target_path: '/mnt/data' },
];

test('the host directory maps under the target of the mount covering it', () => {
  assert.equal(mappedDirectory('/home/u/src', mounts), '/home/ubuntu/src');
  assert.equal(mappedDirectory('/home/u/src/a/b', mounts), '/home/ubuntu/src/a/b');
  assert.equal(mappedDirectory('/data/x', mounts), '/mnt/data/x');
});

test('a directory outside every mount, or a sibling sharing a prefix, is not mapped', () => {
  assert.equal(mappedDirectory('/home/u', mounts), undefined);
  assert.equal(mappedDirectory('/home/u/srcs', mounts), undefined);
  assert.equal(mappedDirectory('/tmp', []), undefined);
});

test('the last covering mount wins, as in Multipass', () => {
  const nested = [...mounts, { source_path: '/home/u/src/a', target_path: '/a' }];
  assert.equal(mappedDirectory('/home/u/src/a/b', nested), '/a/b');
});
