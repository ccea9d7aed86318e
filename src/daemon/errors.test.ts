import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { DiskFullError, MissingDependencyError, SkiffError } from '../core/errors.js';
import { DownloadError } from '../core/fetch-error.js';
import { errorBody } from './errors.js';

const log = pino({ level: 'silent' });

test('a SkiffError keeps its code and details, with the status of its code', () => {
  const cases: Array<[SkiffError, number]> = [
    [new DiskFullError('full', { dir: '/d' }), 507],
    [new MissingDependencyError('no xz', { program: 'xz', package: 'xz-utils' }), 500],
    [new DownloadError({ cause: 'http-404', url: 'http://m/x.img', message: 'not found' }), 502],
    [new SkiffError('not-found', 'nope'), 404],
  ];
  for (const [error, status] of cases) {
    const answer = errorBody(error, log);
    assert.equal(answer.status, status, error.code);
    assert.deepEqual(answer.body.error, {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    });
  }
});

test('an unwrapped ENOSPC or EDQUOT is disk-full (507); any other unexpected error is internal (500)', () => {
  for (const errno of ['ENOSPC', 'EDQUOT']) {
    const raw = Object.assign(new Error(`${errno}: no space left on device, write`), { code: errno });
    assert.deepEqual(errorBody(raw, log), {
      status: 507,
      body: { error: { code: 'disk-full', message: `the disk is full: ${raw.message}` } },
    });
  }
  const other = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
  assert.deepEqual(errorBody(other, log), {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error: EIO: i/o error' } },
  });
});
