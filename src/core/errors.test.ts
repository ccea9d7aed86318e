import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChecksumMismatchError,
  DiskFullError,
  ERROR_CODES,
  isErrorCode,
  isSkiffError,
  KeyUnreadableError,
  MissingDependencyError,
  SkiffError,
} from './errors.js';
import type * as ErrorsModule from './errors.js';
import { CatalogFetchError, DownloadError, FetchError } from './fetch-error.js';

test('each family has its fixed code and its own name, and is a SkiffError', () => {
  const failure = { cause: 'reset' as const, url: 'http://mirror.test/a.img', message: 'connection reset' };
  const cases: Array<[SkiffError, string, string]> = [
    [new DiskFullError('full', { dir: '/var/lib/skiff' }), 'disk-full', 'DiskFullError'],
    [
      new MissingDependencyError('no qemu', { program: 'qemu-system-x86_64', package: 'qemu-system-x86' }),
      'missing-dependency',
      'MissingDependencyError',
    ],
    [new KeyUnreadableError('bad key', { path: '/k' }), 'key-unreadable', 'KeyUnreadableError'],
    [
      new ChecksumMismatchError('corrupt', {
        url: 'u',
        expectedSha256: 'a',
        actualSha256: 'b',
        sizeBytes: 1,
      }),
      'checksum-mismatch',
      'ChecksumMismatchError',
    ],
    [new DownloadError(failure), 'download-failed', 'DownloadError'],
    [new CatalogFetchError(failure), 'catalog-unavailable', 'CatalogFetchError'],
    [new SkiffError('internal', 'x'), 'internal', 'SkiffError'],
  ];
  for (const [error, code, name] of cases) {
    assert.equal(error.code, code, name);
    assert.equal(error.name, name);
    assert.ok(error instanceof SkiffError, name);
    assert.ok(isSkiffError(error), name);
  }
  assert.ok(new DownloadError(failure) instanceof FetchError);
  assert.ok(new CatalogFetchError(failure) instanceof FetchError);
  assert.equal(new DownloadError(failure).message, 'connection reset (reset, http://mirror.test/a.img)');
});

test('details carry what callers need, and the cause is the standard one', () => {
  const cause = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
  const full = new DiskFullError('full', { dir: '/d', neededBytes: 10, freeBytes: 2, cause });
  assert.deepEqual(full.details, { dir: '/d', neededBytes: 10, freeBytes: 2 });
  assert.equal(full.cause, cause);
  assert.deepEqual(new MissingDependencyError('m', { program: 'xz', package: 'xz-utils' }).details, {
    program: 'xz',
    package: 'xz-utils',
  });
  assert.deepEqual(new KeyUnreadableError('k', { path: '/k' }).details, { path: '/k' });
});

test('isSkiffError recognises errors of another copy of the module, which instanceof does not', async () => {
  const copy = (await import(new URL('./errors.js?copy', import.meta.url).href)) as typeof ErrorsModule;
  assert.notEqual(copy.SkiffError, SkiffError, 'a second module instance');
  const theirs = new copy.DiskFullError('full', { dir: '/d' });
  assert.ok(!(theirs instanceof SkiffError));
  assert.ok(isSkiffError(theirs));
  assert.ok(copy.isSkiffError(new SkiffError('conflict', 'x')));
});

test('isSkiffError refuses look-alikes: an Error with a code, or one named SkiffError', () => {
  assert.equal(isSkiffError(Object.assign(new Error('x'), { code: 'internal' })), false);
  const named = Object.assign(new Error('x'), { code: 'internal', name: 'SkiffError' });
  assert.equal(isSkiffError(named), false);
  assert.equal(isSkiffError({ code: 'internal', message: 'x' }), false);
  assert.equal(isSkiffError(null), false);
});

test('the brand stays out of JSON and of the enumerable keys', () => {
  const error = new SkiffError('not-found', 'x', { details: { a: 1 } });
  assert.deepEqual(Object.keys(error).sort(), ['code', 'details', 'name']);
  assert.equal(Object.getOwnPropertySymbols(error).length, 0);
});

test('isErrorCode: every listed code, nothing else', () => {
  for (const code of ERROR_CODES) assert.ok(isErrorCode(code), code);
  for (const value of ['', 'Internal', 'disk_full', 'no-such-code', 42, null, undefined])
    assert.equal(isErrorCode(value), false, String(value));
});
