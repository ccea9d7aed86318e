import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSettings, SettingsService } from './settings-service.js';

test('stored values that fail their key are dropped, so the default applies', () => {
  const hash = 'b'.repeat(64);
  assert.deepEqual(
    decodeSettings({
      'client.primary-name': '../../x',
      'local.driver': 'qemu',
      'local.image.mirror': 'ftp://x/',
      'local.passphrase': hash,
      'local.privileged-mounts': 7,
      'no.such.key': 'x',
    }),
    {
      value: { 'local.driver': 'qemu', 'local.passphrase': hash },
      dropped: [
        'dropped setting "client.primary-name": invalid stored value',
        'dropped setting "local.image.mirror": invalid stored value',
        'dropped setting "local.privileged-mounts": not a string',
        'dropped setting "no.such.key": unknown key',
      ],
    },
  );
  assert.deepEqual(decodeSettings({ 'local.passphrase': 'plain' }).value, {});
  assert.throws(() => decodeSettings(['a']), /expected an object/);
});

test('a wrong-typed settings.json no longer stops loading: the backup is used', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-settings-'));
  try {
    const settings = new SettingsService(dir, {}, () => 0);
    await settings.set('client.primary-name', 'first');
    await settings.set('client.primary-name', 'second');
    await writeFile(join(dir, 'settings.json'), '{"schema":1,"data":"oops"}');
    const reloaded = new SettingsService(dir, {}, () => 0);
    const loaded = await reloaded.load();
    assert.equal(loaded.source, 'backup');
    assert.equal(reloaded.get('client.primary-name'), 'first');
    assert.deepEqual((await readdir(dir)).sort(), [
      'settings.json',
      'settings.json.bak',
      'settings.json.corrupt-19700101T000000.000Z',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
