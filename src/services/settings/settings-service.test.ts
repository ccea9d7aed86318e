import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassphrase } from '../trust/passphrase.js';
import { decodeSettings, SettingsService } from './settings-service.js';

test('stored values that fail their key are dropped, so the default applies', () => {
  const hash = hashPassphrase('secret');
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
  // The unsalted SHA-256 of earlier versions is no scrypt hash: dropped, so a new passphrase must be set.
  assert.deepEqual(decodeSettings({ 'local.passphrase': 'b'.repeat(64) }).value, {});
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

test('local.passphrase is stored hashed and shown as *****', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-settings-'));
  try {
    const settings = new SettingsService(dir, {}, () => 0);
    assert.equal(settings.get('local.passphrase'), '');
    assert.equal(await settings.set('local.passphrase', 'hunter2'), '*****');
    assert.equal(settings.all()['local.passphrase'], '*****');
    assert.match(settings.raw('local.passphrase'), /^scrypt\$/);
    const file = await readFile(join(dir, 'settings.json'), 'utf8');
    assert.ok(!file.includes('hunter2'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
