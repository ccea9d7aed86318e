import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DownloadProgress } from './ports.js';
import { SharedDownloads, type StartDownload } from './shared-downloads.js';

function deferred() {
  let resolve!: (value: string) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const progress = (bytes: number): DownloadProgress => ({ bytes, totalBytes: 10, rateBytesPerS: 1, etaS: 1 });

test('concurrent joins share one download, all get progress, users are known at completion', async () => {
  const completed: string[][] = [];
  const shared = new SharedDownloads<string>(async (value, users) => (completed.push(users), value));
  const gate = deferred();
  let starts = 0;
  let report: ((p: DownloadProgress) => void) | null = null;
  const start: StartDownload<string> = ({ onProgress }) => {
    starts++;
    report = onProgress;
    return gate.promise;
  };
  const seen = { a: 0, b: 0 };
  const a = shared.join('k', start, { instance: 'vm-a', onProgress: () => seen.a++ });
  const b = shared.join('k', start, { instance: 'vm-b', onProgress: () => seen.b++ });
  report!(progress(5));
  gate.resolve('done');
  assert.deepEqual(await Promise.all([a, b]), ['done', 'done']);
  assert.equal(starts, 1);
  assert.deepEqual(seen, { a: 1, b: 1 });
  assert.deepEqual(completed, [['vm-a', 'vm-b']]);
  assert.equal(shared.active, 0);
});

test('one caller giving up does not stop the others; the last one to give up stops the download', async () => {
  const completed: string[][] = [];
  const shared = new SharedDownloads<string>(async (value, users) => (completed.push(users), value));
  let downloadSignal: AbortSignal | null = null;
  const gate = deferred();
  const start: StartDownload<string> = ({ signal }) => {
    downloadSignal = signal;
    signal.addEventListener('abort', () => gate.reject(signal.reason));
    return gate.promise;
  };
  const ca = new AbortController();
  const cb = new AbortController();
  const a = shared.join('k', start, { instance: 'vm-a', signal: ca.signal });
  const b = shared.join('k', start, { instance: 'vm-b', signal: cb.signal });
  ca.abort(new Error('a gave up'));
  await assert.rejects(a, /a gave up/);
  assert.equal(downloadSignal!.aborted, false);
  cb.abort(new Error('b gave up'));
  await assert.rejects(b, /b gave up/);
  assert.equal(downloadSignal!.aborted, true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(shared.active, 0);
  assert.deepEqual(completed, []);
});

test('a caller that gave up is not recorded as a user', async () => {
  const completed: string[][] = [];
  const shared = new SharedDownloads<string>(async (value, users) => (completed.push(users), value));
  const gate = deferred();
  const ca = new AbortController();
  const a = shared.join('k', () => gate.promise, { instance: 'vm-a', signal: ca.signal });
  const b = shared.join('k', () => gate.promise, { instance: 'vm-b' });
  ca.abort(new Error('gone'));
  await assert.rejects(a);
  gate.resolve('x');
  assert.equal(await b, 'x');
  assert.deepEqual(completed, [['vm-b']]);
});

test('a failure reaches every caller, and the next join starts afresh', async () => {
  const shared = new SharedDownloads<string>(async (value) => value);
  let starts = 0;
  const failing = () => (starts++, Promise.reject(new Error('boom')));
  await Promise.all([
    assert.rejects(shared.join('k', failing, { instance: 'a' }), /boom/),
    assert.rejects(shared.join('k', failing, { instance: 'b' }), /boom/),
  ]);
  await assert.rejects(shared.join('k', failing, { instance: 'a' }), /boom/);
  assert.equal(starts, 2);
});
