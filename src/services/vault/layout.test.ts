import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImageInfo } from '../catalog/types.js';
import { compressionOf, idOfImageFile, sourceKey, VaultLayout } from './layout.js';

const SHA = 'a'.repeat(64);

test('paths of the layout', () => {
  const layout = new VaultLayout('/v');
  assert.equal(layout.index, '/v/index.json');
  assert.equal(layout.image(SHA), `/v/images/${SHA}.img`);
  assert.equal(layout.part('k'), '/v/partial/k.part');
  assert.equal(layout.sidecar('k'), '/v/partial/k.json');
  assert.equal(layout.unpack('k'), '/v/partial/k.unpack');
  assert.throws(() => layout.image('../etc/passwd'), /not a sha256/);
});

test('only final image names map back to ids', () => {
  assert.equal(idOfImageFile(`${SHA}.img`), SHA);
  assert.equal(idOfImageFile(`.${SHA}.img.1234.tmp`), null);
  assert.equal(idOfImageFile('notes.txt'), null);
});

test('keys: catalog images by checksum (whatever the remote), others by URL or path', () => {
  const image = { sha256: SHA.toUpperCase() } as ImageInfo;
  const a = sourceKey({ kind: 'catalog', remote: 'release', image });
  assert.equal(a, `sha-${'a'.repeat(32)}`);
  assert.equal(sourceKey({ kind: 'catalog', remote: 'daily', image }), a);
  assert.match(sourceKey({ kind: 'url', url: 'http://x/a.img' }), /^url-[0-9a-f]{32}$/);
  assert.notEqual(
    sourceKey({ kind: 'url', url: 'http://x/a.img' }),
    sourceKey({ kind: 'url', url: 'http://x/b.img' }),
  );
  const upload = (id: string) =>
    sourceKey({ kind: 'upload', id, name: '/a.img', sizeBytes: 1, mtimeMs: 0, open: () => Promise.reject() });
  assert.match(upload('t1'), /^upload-[0-9a-f]{32}$/);
  assert.notEqual(upload('t1'), upload('t2'), 'two uploads of one file are never merged');
});

test('compression from the name, ignoring a query string', () => {
  assert.equal(compressionOf('http://x/a.img.xz'), 'xz');
  assert.equal(compressionOf('http://x/a.IMG.GZ?token=1'), 'gz');
  assert.equal(compressionOf('http://x/a.img?f=.xz'), null);
  assert.equal(compressionOf('/tmp/a.img.xz'), 'xz');
  assert.equal(compressionOf('/tmp/a.img'), null);
});
