import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountsValue } from './mounts-table.js';

test('no mounts: --', () => {
  assert.equal(mountsValue({}), '--');
});

test('mounts as Multipass lays them out: sources padded, maps under each', () => {
  const value = mountsValue({
    '/home/ubuntu/src': {
      source_path: '/home/me/src',
      uid_mappings: ['1000:default'],
      gid_mappings: ['1000:default'],
    },
    '/data': { source_path: '/srv/d', uid_mappings: ['1000:default', '0:0'], gid_mappings: [] },
  });
  assert.equal(
    `${'Mounts:'.padEnd(16)}${value}`,
    [
      'Mounts:         /home/me/src => /home/ubuntu/src',
      '                    UID map: 1000:default',
      '                    GID map: 1000:default',
      '                /srv/d       => /data',
      '                    UID map: 1000:default, 0:0',
    ].join('\n'),
  );
});
