import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  idMapLabel,
  mountTag,
  mountTarget,
  parseIdMap,
  parseMountType,
  splitLaunchMount,
  splitMountPoint,
} from './mount-spec.js';

const fails = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (e: Error & { code?: string }) => e.code === 'invalid-argument' && message.test(e.message),
  );

test('mount types: native and classic, any case; else Multipass words', () => {
  assert.equal(parseMountType('native'), 'native');
  assert.equal(parseMountType('CLASSIC'), 'classic');
  fails(() => parseMountType('nfs'), /^Bad mount type 'nfs' specified, please use 'classic' or 'native'$/);
});

test('id maps: HOST:GUEST whole numbers within 32 bits', () => {
  assert.deepEqual(parseIdMap('1001:1000', 'UID'), { host: 1001, guest: 1000 });
  assert.deepEqual(parseIdMap('0:0', 'GID'), { host: 0, guest: 0 });
  for (const bad of ['1000', '-1:0', 'a:1', '1:2:3', ' 1:2', '4294967295:0', ''])
    fails(() => parseIdMap(bad, 'UID'), new RegExp(`^Invalid UID map given: `));
  fails(() => parseIdMap('x', 'GID'), /^Invalid GID map given: x$/);
});

test('NAME[:PATH] split at the first colon; a name is needed', () => {
  assert.deepEqual(splitMountPoint('web'), { name: 'web' });
  assert.deepEqual(splitMountPoint('web:'), { name: 'web' });
  assert.deepEqual(splitMountPoint('web:/srv/a:b'), { name: 'web', target: '/srv/a:b' });
  fails(() => splitMountPoint(':/x'), /an instance name is needed/);
  assert.deepEqual(splitLaunchMount('/src'), { source: '/src' });
  assert.deepEqual(splitLaunchMount('/src:code'), { source: '/src', target: 'code' });
  fails(() => splitLaunchMount(':x'), /--mount :x: a source directory is needed/);
});

test('targets: the source path by default, relative under /home/ubuntu, normalised; system paths refused', () => {
  assert.equal(mountTarget('/home/me/src'), '/home/me/src');
  assert.equal(mountTarget('/home/me/src', 'code'), '/home/ubuntu/code');
  assert.equal(mountTarget('/x', '/data//a/../b/'), '/data/b');
  for (const bad of [
    '/',
    '//',
    '/dev',
    '/proc/x',
    '/sys',
    '/home',
    '/home/ubuntu',
    '/home/ubuntu/',
    '.',
    'a/../..',
  ])
    fails(() => mountTarget('/x', bad), /^unable to mount to "/);
  fails(() => mountTarget('/'), /^unable to mount to "\/"$/);
  fails(() => mountTarget('/x', 'a\nb'), /unable to mount/);
  assert.equal(mountTarget('/x', '/devices'), '/devices');
});

test('tags are stable per target and fit virtiofs', () => {
  assert.equal(mountTag('/a'), mountTag('/a'));
  assert.notEqual(mountTag('/a'), mountTag('/b'));
  assert.match(mountTag('/a'), /^[a-z0-9-]{1,31}$/);
});

test('id map labels: the default user is "default", as in Multipass JSON', () => {
  assert.equal(idMapLabel({ host: 1001, guest: 1000 }), '1001:default');
  assert.equal(idMapLabel({ host: 0, guest: 0 }), '0:0');
});
