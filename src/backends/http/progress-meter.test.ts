import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownloadProgress } from '../../services/vault/ports.js';
import { ProgressMeter } from './progress-meter.js';

function meter(options: { total: number | null; start?: number }) {
  let now = 0;
  const reports: DownloadProgress[] = [];
  const m = new ProgressMeter({
    totalBytes: options.total,
    startBytes: options.start ?? 0,
    onProgress: (p) => reports.push(p),
    now: () => now,
    intervalMs: 100,
    windowMs: 1000,
  });
  return { m, reports, tick: (ms: number) => (now += ms) };
}

test('reports at most once per interval, with rate and ETA', () => {
  const { m, reports, tick } = meter({ total: 10_000 });
  for (let i = 0; i < 10; i++) {
    tick(10);
    m.add(100); // 10 kB/s
  }
  assert.equal(reports.length, 1);
  assert.deepEqual(reports[0], { bytes: 1000, totalBytes: 10_000, rateBytesPerS: 10_000, etaS: 1 });
});

test('a resumed prefix counts in bytes but not in the rate', () => {
  const { m, reports, tick } = meter({ total: 2000, start: 1000 });
  tick(500);
  m.add(100);
  assert.deepEqual(reports[0], { bytes: 1100, totalBytes: 2000, rateBytesPerS: 200, etaS: 5 });
});

test('the rate follows the recent window, and the final report says done', () => {
  const { m, reports, tick } = meter({ total: null });
  for (let i = 0; i < 30; i++) {
    tick(100);
    m.add(i < 20 ? 1000 : 100);
  }
  assert.equal(reports.at(-1)!.rateBytesPerS, 1000, 'only the last second counts: 10 x 100 bytes');
  assert.equal(reports.at(-1)!.etaS, null, 'no total, no ETA');
  m.report();
  assert.equal(reports.at(-1)!.bytes, 21_000);
});

test('nothing is computed without a listener', () => {
  let calls = 0;
  const m = new ProgressMeter({ totalBytes: 1, now: () => calls++ });
  m.add(1);
  assert.equal(m.bytes, 1);
  assert.equal(calls, 1, 'only the start time was read');
});
