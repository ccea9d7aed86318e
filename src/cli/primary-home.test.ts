import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../core/errors.js';
import type { DaemonClient } from '../client/daemon-client.js';
import type { CliContext } from './context.js';
import { exitCodeFor } from './exit-codes.js';
import { mountPrimaryHome } from './primary-home.js';

/** A context whose daemon answers settings from `settings` and records mounts (or refuses them with `refuse`). */
function fakeContext(settings: Record<string, string>, refuse?: SkiffError) {
  const mounts: Array<{ name: string; body: unknown }> = [];
  let out = '';
  let err = '';
  const client = {
    getSetting: async (key: string) => ({ key, value: settings[key] ?? '' }),
    addMount: async (name: string, body: unknown) => {
      if (refuse) throw refuse;
      mounts.push({ name, body });
      return {};
    },
  } as unknown as DaemonClient;
  const ctx = {
    withDaemon: (call: (c: DaemonClient) => Promise<unknown>) => call(client),
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    color: false,
    verbosity: 0,
  } as unknown as CliContext;
  return { ctx, mounts, out: () => out, err: () => err };
}

test('the primary instance gets the home at Home; others, explicit Home mounts and disabled mounts do not', async () => {
  const home = await mkdtemp(join(tmpdir(), 'skiff-home-'));
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    const settings = { 'client.primary-name': 'primary', 'local.privileged-mounts': 'true' };
    const t = fakeContext(settings);
    assert.equal(await mountPrimaryHome(t.ctx, 'web'), 0);
    assert.deepEqual(t.mounts, []);
    assert.equal(await mountPrimaryHome(t.ctx, 'primary', ['Home/']), 0);
    assert.deepEqual(t.mounts, [], 'an explicit --mount ...:Home wins');
    assert.equal(await mountPrimaryHome(t.ctx, 'primary'), 0);
    const real = await realpath(home);
    assert.deepEqual(t.mounts, [{ name: 'primary', body: { source_path: real, target_path: 'Home' } }]);
    assert.equal(t.out(), `Mounted '${real}' into 'primary:Home'\n`);

    const off = fakeContext({ ...settings, 'local.privileged-mounts': 'false' });
    assert.equal(await mountPrimaryHome(off.ctx, 'primary'), 0);
    assert.deepEqual(off.mounts, []);
    assert.equal(off.out(), 'Skipping mount due to disabled mounts feature\n');

    const none = fakeContext({ ...settings, 'client.primary-name': '' });
    assert.equal(await mountPrimaryHome(none.ctx, 'primary'), 0);
    assert.deepEqual(none.mounts, [], 'no primary instance configured');

    const refused = fakeContext(settings, new SkiffError('permission-denied', 'only its owner may mount it'));
    assert.equal(await mountPrimaryHome(refused.ctx, 'primary'), exitCodeFor('permission-denied'));
    assert.equal(refused.err(), 'only its owner may mount it\n');
  } finally {
    process.env.HOME = saved;
    await rm(home, { recursive: true, force: true });
  }
});
