import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MountShare } from '../../services/instances/ports.js';
import { bootShares, checkShare, ninePSecurityModel, qemuMounter } from './mounter.js';

const share: MountShare = { tag: 'src', source: '/srv/src', uidMap: [], gidMap: [] };

test('checkShare: identity maps pass; a map that moves an id is unsupported, naming the field', () => {
  checkShare({ ...share, uidMap: [{ host: 1000, guest: 1000 }] });
  assert.throws(() => checkShare({ ...share, gidMap: [{ host: 0, guest: 1000 }] }), {
    code: 'unsupported',
    message: /gidMap 0:1000/,
  });
  assert.throws(() => checkShare({ ...share, tag: 'A B' }), {
    code: 'invalid-argument',
    message: /share tag/,
  });
  assert.throws(() => checkShare({ ...share, source: 'rel' }), {
    code: 'invalid-argument',
    message: /absolute/,
  });
});

test('9p security model: passthrough as root (ids kept on the host files), mapped-xattr otherwise', () => {
  assert.equal(ninePSecurityModel(0), 'passthrough');
  assert.equal(ninePSecurityModel(1000), 'mapped-xattr');
});

test('without virtiofsd: 9p from a boot, and attach is unsupported only once the VM runs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-mounter-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const options = { dir, virtiofsd: async () => null };
  const mounter = qemuMounter(options);
  assert.deepEqual(await mounter.transports([share, { ...share, tag: 'b' }]), ['9p', '9p']);
  assert.deepEqual(await bootShares(options, [share]), [
    { kind: '9p', tag: 'src', source: '/srv/src', securityModel: ninePSecurityModel() },
  ]);
  // No VM runs in dir: the first problem is that.
  await assert.rejects(mounter.attach(share), { code: 'conflict', message: /not running/ });
  await mounter.detach('src'); // idempotent on a stopped VM
  const withFsd = qemuMounter({ dir, virtiofsd: async () => '/usr/lib/qemu/virtiofsd' });
  assert.deepEqual(await withFsd.transports([share]), ['virtiofs']);
});
