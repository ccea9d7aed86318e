import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions } from './version-order.js';

test('serials compare numerically part by part, a bare serial before its .N respins', () => {
  const serials = ['20251120.10', '20251120', '20251120.9', '20251119', '20251120.1'];
  assert.deepEqual([...serials].sort(compareVersions), [
    '20251119',
    '20251120',
    '20251120.1',
    '20251120.9',
    '20251120.10',
  ]);
});

test('release numbers sort numerically, across a digit-count boundary', () => {
  assert.deepEqual(['24.04', '9.10', '10.04', '22.04', '24.10'].sort(compareVersions), [
    '9.10',
    '10.04',
    '22.04',
    '24.04',
    '24.10',
  ]);
});

test('numeric parts sort before words; words compare as text; equal strings are equal', () => {
  assert.ok(compareVersions('24.04', 'devel') < 0);
  assert.ok(compareVersions('beta', 'alpha') > 0);
  assert.equal(compareVersions('24.04', '24.04'), 0);
  assert.ok(compareVersions('99999999999999999999.1', '99999999999999999998.2') > 0, 'no precision loss');
});
