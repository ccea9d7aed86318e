import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SkiffError } from '../../core/errors.js';
import { invalidMemorySize } from '../../core/messages.js';
import { formatSize, launchSizes, LIMITS, parseSize } from './spec.js';

const GIB = 2 ** 30;
const host = { memoryBytes: 16 * GIB };
const problems = (input: Parameters<typeof launchSizes>[0]): string[] => {
  try {
    launchSizes(input, host);
  } catch (error) {
    return (error as SkiffError).details?.problems as string[];
  }
  return [];
};

test('parseSize: binary units, bytes without a unit', () => {
  assert.equal(parseSize('--memory', '512M'), 512 * 2 ** 20);
  assert.equal(parseSize('--disk', '1.5G'), 1.5 * GIB);
  assert.equal(parseSize('--disk', '10GiB'), 10 * GIB);
  assert.equal(parseSize('--disk', '1073741824'), GIB);
});

test('parseSize: exponents, garbage and numbers beyond any size are refused naming the option', () => {
  for (const value of ['1e99G', '5 apples', '-1G', '', 'G']) {
    assert.throws(() => parseSize('--disk', value), {
      code: 'invalid-argument',
      message: `${invalidMemorySize(value)} (--disk)`,
    });
  }
  assert.throws(() => parseSize('--memory', '99999999999999999999T'), /--memory: .* is far too large/);
});

test('launchSizes: defaults, and the extremes that are allowed', () => {
  assert.deepEqual(launchSizes({}, host), {
    cpus: 1,
    memoryBytes: LIMITS.defaultMemoryBytes,
    diskBytes: LIMITS.defaultDiskBytes,
  });
  assert.deepEqual(launchSizes({ cpus: '512', memory: '16G', disk: '4T' }, host), {
    cpus: 512,
    memoryBytes: 16 * GIB,
    diskBytes: 4 * 2 ** 40,
  });
});

test('launchSizes: 0, below the minimums, above the host or the cap: every problem, each naming its option', () => {
  assert.deepEqual(problems({ cpus: '0', memory: '0', disk: '0' }), [
    '--cpus: "0" is not a whole number from 1 to 512',
    '--memory: 0 is below the minimum of 512M',
    '--disk: 0 is below the minimum of 1G',
  ]);
  assert.deepEqual(problems({ memory: '17G', disk: '5T' }), [
    "--memory: 17G is more than this host's 16G of memory",
    '--disk: 5T is above the maximum of 4T',
  ]);
  assert.deepEqual(problems({ memory: '1e99G', disk: '1e99G', cpus: '1e3' }), [
    '--cpus: "1e3" is not a whole number from 1 to 512',
    `${invalidMemorySize('1e99G')} (--memory)`,
    `${invalidMemorySize('1e99G')} (--disk)`,
  ]);
});

test('formatSize', () => {
  assert.equal(formatSize(4 * 2 ** 40), '4T');
  assert.equal(formatSize(15.6 * GIB), '15.6G');
  assert.equal(formatSize(512 * 2 ** 20), '512M');
  assert.equal(formatSize(10), '10B');
});
