import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServedPath } from './served-path.js';

let work: string;
let root: string;

before(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'skiff-served-')));
  root = join(work, 'tree');
  await mkdir(join(root, 'releases/2026'), { recursive: true });
  await writeFile(join(root, 'releases/2026/a b.img'), 'inside');
  await writeFile(join(work, 'secret'), 'outside');
  await mkdir(join(work, 'outdir'));
  await writeFile(join(work, 'outdir/f'), 'outside');
  await symlink(join(work, 'secret'), join(root, 'releases/x'));
  await symlink(join(work, 'outdir'), join(root, 'releases/dir'));
  await symlink('2026', join(root, 'releases/current'));
  await symlink('../../secret', join(root, 'releases/rel'));
});
after(() => rm(work, { recursive: true, force: true }));

test('a plain file inside the tree resolves to itself, re-encoded', async () => {
  assert.deepEqual(await resolveServedPath(root, '/releases/2026/a%20b.img'), {
    kind: 'inside',
    urlPath: '/releases/2026/a%20b.img',
  });
});

test('a symlink that stays inside resolves to its target', async () => {
  assert.deepEqual(await resolveServedPath(root, '/releases/current/a%20b.img'), {
    kind: 'inside',
    urlPath: '/releases/2026/a%20b.img',
  });
});

test('symlinks to a file or a directory outside are refused, absolute or relative', async () => {
  for (const path of ['/releases/x', '/releases/dir/f', '/releases/dir', '/releases/rel']) {
    const result = await resolveServedPath(root, path);
    assert.equal(result.kind, 'refused', path);
    assert.equal(result.kind === 'refused' && result.status, 404, path);
  }
});

test('.. that leaves the tree, malformed escapes and NUL are refused', async () => {
  assert.deepEqual(await resolveServedPath(root, '/..%2f..%2fsecret'), {
    kind: 'refused',
    status: 404,
    reason: 'outside the tree',
  });
  assert.equal((await resolveServedPath(root, '/%E0%A4%A')).kind, 'refused');
  assert.deepEqual(await resolveServedPath(root, '/a%00b'), {
    kind: 'refused',
    status: 400,
    reason: 'NUL in path',
  });
});

test('a missing file is left to send (404 there)', async () => {
  assert.deepEqual(await resolveServedPath(root, '/releases/none'), {
    kind: 'inside',
    urlPath: '/releases/none',
  });
});
