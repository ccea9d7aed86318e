import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SkiffError } from '../../core/errors.js';
import type { Caller, SourceAccess } from './ports.js';
import { checkMountSource, overlaps, SYSTEM_TREES } from './rights.js';

/** A host of paths: each with its owner, whether it is a directory, who may read it, and where it resolves. */
function fakeAccess(
  paths: Record<string, { owner: number; dir?: boolean; readers?: number[]; resolves?: string }>,
): SourceAccess & { reads: string[] } {
  const reads: string[] = [];
  const get = (path: string) => {
    const entry = paths[path];
    if (!entry) throw new SkiffError('not-found', `"${path}" does not exist`);
    return entry;
  };
  return {
    reads,
    resolve: async (path) => get(path).resolves ?? path,
    inspect: async (path) => ({ directory: get(path).dir ?? true, ownerUid: get(path).owner }),
    canRead: async (path, caller) => {
      reads.push(`${path}:${caller.uid}`);
      return (get(path).readers ?? [get(path).owner]).includes(caller.uid);
    },
  };
}

const alice: Caller = { uid: 1001, gid: 1001 };
const root: Caller = { uid: 0, gid: 0 };
const trees = [...SYSTEM_TREES, '/var/lib/skiff'];
const refused = (code: string, message: RegExp) => (e: unknown) =>
  e instanceof SkiffError && e.code === code && message.test(e.message);

test('overlaps: equal, inside, or holding', () => {
  assert.ok(overlaps('/etc', '/etc'));
  assert.ok(overlaps('/etc/ssh', '/etc'));
  assert.ok(overlaps('/', '/etc'));
  assert.ok(overlaps('/var', '/var/lib'));
  assert.ok(!overlaps('/etcetera', '/etc'));
  assert.ok(!overlaps('/home/a', '/home/ab'));
});

test('a user may mount a directory they own and may read', async () => {
  const access = fakeAccess({ '/home/alice/src': { owner: 1001 } });
  assert.equal(await checkMountSource(access, '/home/alice/src', alice, trees), '/home/alice/src');
  assert.deepEqual(access.reads, ['/home/alice/src:1001'], 'read checked as the caller');
});

test('refused for a user: unreadable, owned by another, system trees and their parents', async () => {
  const access = fakeAccess({
    '/home/alice/locked': { owner: 1001, readers: [] },
    '/srv/bob': { owner: 1002, readers: [1001, 1002] },
    '/etc': { owner: 0, readers: [0, 1001] },
    '/root': { owner: 0, readers: [0] },
    '/': { owner: 0, readers: [0, 1001] },
    '/var': { owner: 0, readers: [0, 1001] },
    '/var/lib/skiff/instances': { owner: 1001 },
    '/etc/alice': { owner: 1001 },
  });
  await assert.rejects(
    checkMountSource(access, '/home/alice/locked', alice, trees),
    refused('permission-denied', /^uid 1001 may not read "\/home\/alice\/locked"$/),
  );
  await assert.rejects(
    checkMountSource(access, '/srv/bob', alice, trees),
    refused(
      'permission-denied',
      /only its owner \(uid 1002\) or root may mount "\/srv\/bob" \(you are uid 1001\)/,
    ),
  );
  for (const [path, tree] of [
    ['/etc', '/etc'],
    ['/root', '/root'],
    ['/', '/etc'],
    ['/var', '/var/lib'],
    ['/var/lib/skiff/instances', '/var/lib'],
    ['/etc/alice', '/etc'],
  ])
    await assert.rejects(
      checkMountSource(access, path!, alice, trees),
      refused('permission-denied', new RegExp(`only root may mount "${path}": .* system tree ${tree}$`)),
      path,
    );
});

test('root may mount anything that is a directory', async () => {
  const access = fakeAccess({ '/etc': { owner: 0 }, '/srv/bob': { owner: 1002, readers: [] } });
  assert.equal(await checkMountSource(access, '/etc', root, trees), '/etc');
  assert.equal(await checkMountSource(access, '/srv/bob', root, trees), '/srv/bob');
  assert.deepEqual(access.reads, []);
});

test('missing, not a directory, relative, symlinked, or no credentials: refused for everyone', async () => {
  const access = fakeAccess({
    '/home/alice/file': { owner: 1001, dir: false },
    '/home/alice/link': { owner: 1001, resolves: '/etc' },
  });
  for (const who of [alice, root]) {
    await assert.rejects(
      checkMountSource(access, '/nope', who, trees),
      refused('invalid-argument', /^Source path "\/nope" does not exist$/),
    );
    await assert.rejects(
      checkMountSource(access, '/home/alice/file', who, trees),
      refused('invalid-argument', /is not a directory/),
    );
    await assert.rejects(
      checkMountSource(access, '/home/alice/link', who, trees),
      refused('permission-denied', /resolves to "\/etc": a symbolic link in it is refused/),
    );
    await assert.rejects(
      checkMountSource(access, 'rel/dir', who, trees),
      refused('invalid-argument', /not an absolute, normal path/),
    );
    await assert.rejects(
      checkMountSource(access, '/home/alice/../alice', who, trees),
      refused('invalid-argument', /not an absolute, normal path/),
    );
  }
  await assert.rejects(
    checkMountSource(access, '/home/alice/file', null, trees),
    refused(
      'permission-denied',
      /cannot tell which user of this host is asking: a remote client \(over TCP\) has none/,
    ),
  );
});
