import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIndex, decodeSidecar, encodeIndex, ifRangeOf, type ImageRecord } from './records.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const record: ImageRecord = {
  id: A,
  sizeBytes: 10,
  source: {
    kind: 'catalog',
    remote: 'release',
    product: 'p',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version: '20260101',
    aliases: ['noble'],
    url: 'http://x/a.img',
    sha256: A,
  },
  fetchedAtMs: 1,
  lastUsedMs: 2,
  usedBy: ['vm2', 'vm1'],
};

test('the index round-trips through JSON, sorted for stable files', () => {
  const other: ImageRecord = {
    ...record,
    id: B,
    source: { kind: 'file', path: '/x', sizeBytes: 1, mtimeMs: 2 },
  };
  const json = JSON.parse(JSON.stringify(encodeIndex([other, record])));
  const { images, problems } = decodeIndex(json);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    images.map((r) => r.id),
    [A, B],
  );
  assert.deepEqual(images[0], { ...record, usedBy: ['vm1', 'vm2'] });
});

test('damaged entries are dropped one by one, naming the field', () => {
  const { images, problems } = decodeIndex({
    images: [
      record,
      { ...record, id: 'nope' },
      { ...record, id: B, sizeBytes: -1 },
      { ...record, id: B, source: { kind: 'ftp' } },
      { ...record, id: B, usedBy: [3] },
      { ...record },
      'junk',
    ],
  });
  assert.equal(images.length, 1);
  assert.deepEqual(problems, [
    'images[1].id: expected a sha256',
    'images[2].sizeBytes: expected a non-negative integer',
    'images[3].source.kind: unknown kind "ftp"',
    'images[4].usedBy: expected an array of instance names',
    'images[5].id: duplicate',
    'images[6].entry: expected an object',
  ]);
  assert.deepEqual(decodeIndex(null).problems, ['images: expected an array']);
});

test('sidecars: decoded strictly; the strong ETag is preferred for If-Range', () => {
  const sidecar = decodeSidecar({
    url: 'http://x/a',
    etag: '"e"',
    lastModified: 'Thu, 01 Jan 1970 00:00:00 GMT',
    expectedSha256: null,
    totalBytes: 5,
    startedAtMs: 0,
  });
  assert.equal(ifRangeOf(sidecar), '"e"');
  assert.equal(ifRangeOf({ ...sidecar, etag: null }), 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(ifRangeOf({ etag: null, lastModified: null }), null);
  assert.throws(() => decodeSidecar({ ...sidecar, url: '' }), /url: expected a non-empty string/);
  assert.throws(
    () => decodeSidecar({ ...sidecar, expectedSha256: 'x' }),
    /expectedSha256: expected a sha256/,
  );
});
