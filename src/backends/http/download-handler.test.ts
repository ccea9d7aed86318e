import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planResponse } from './download-handler.js';

test('planResponse: how a response relates to the kept partial', () => {
  const cases: Array<[number, Record<string, string>, number, ReturnType<typeof planResponse>]> = [
    [200, { 'content-length': '10' }, 0, { kind: 'fresh', totalBytes: 10 }],
    [200, {}, 0, { kind: 'fresh', totalBytes: null }],
    [200, { 'content-length': '10' }, 4, { kind: 'fresh', totalBytes: 10 }],
    [206, { 'content-range': 'bytes 4-9/10' }, 4, { kind: 'append', totalBytes: 10 }],
    [206, { 'content-range': 'bytes 4-9/*' }, 4, { kind: 'append', totalBytes: null }],
    [206, { 'content-range': 'bytes 0-9/10' }, 4, { kind: 'restart' }],
    [206, {}, 4, { kind: 'restart' }],
    [206, { 'content-range': 'bytes 0-9/10' }, 0, { kind: 'restart' }],
    [416, { 'content-range': 'bytes */10' }, 10, { kind: 'complete', totalBytes: 10 }],
    [416, { 'content-range': 'bytes */8' }, 10, { kind: 'restart' }],
    [416, {}, 0, { kind: 'fail', status: 416 }],
    [404, {}, 0, { kind: 'fail', status: 404 }],
    [503, {}, 4, { kind: 'fail', status: 503 }],
  ];
  for (const [status, headers, offset, expected] of cases) {
    assert.deepEqual(
      planResponse(status, headers, offset),
      expected,
      `${status} ${JSON.stringify(headers)} @${offset}`,
    );
  }
});
