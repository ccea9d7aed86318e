import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { pinSource } from './virtiofsd.js';

const code = (expected: string, message: RegExp) => (e: unknown) =>
  e instanceof SkiffError && e.code === expected && message.test(e.message);

test('pinSource: opens the checked directory, and refuses a path that names anything else now', async () => {
  const root = await mkdtemp(join(tmpdir(), 'skiff-pin-'));
  try {
    const real = join(root, 'real');
    await mkdir(join(real, 'project'), { recursive: true });
    const handle = await pinSource(join(real, 'project'), process.getuid!());
    assert.ok((await handle.stat()).isDirectory());
    await handle.close();
    // A component swapped for a symlink since the check: the opened directory's real name differs.
    await symlink(real, join(root, 'link'));
    await assert.rejects(
      pinSource(join(root, 'link', 'project')),
      code('permission-denied', /changed since it was checked: now ".*\/real\/project"/),
    );
    // The last component a symlink: not followed at all.
    await symlink('/etc', join(root, 'etc-link'));
    await assert.rejects(pinSource(join(root, 'etc-link')), code('invalid-argument', /ENOTDIR|ELOOP/));
    // Another owner now (a directory moved in under the checked name).
    await assert.rejects(
      pinSource(join(real, 'project'), process.getuid!() + 1),
      code('permission-denied', /now belongs to uid \d+, not to uid \d+ who mounted it/),
    );
    await writeFile(join(root, 'file'), 'x');
    await assert.rejects(pinSource(join(root, 'file')), code('invalid-argument', /ENOTDIR/));
    await assert.rejects(pinSource(join(root, 'gone')), code('invalid-argument', /ENOENT/));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
