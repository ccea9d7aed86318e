/**
 * Integration: when no daemon answers, the CLI starts skiffd in the background and says so on stderr;
 * SKIFF_NO_AUTOSTART=1 turns that off (exit code 3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../src/services/persist/atomic-json.js';
import { runSkiff } from '../harness/skiff-process.js';

test('the CLI autostarts skiffd when none answers, and not when told not to', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-autostart-'));
  const socket = join(dir, 'skiffd.sock');
  const dataDir = join(dir, 'data');
  // The autostarted daemon reads its mirror from the settings: a closed loopback port, so nothing leaves.
  await writeJsonAtomic(join(dataDir, 'settings.json'), 1, { 'local.image.mirror': 'http://127.0.0.1:9/' });
  // In the machine's own namespace: user-mode networking, so no bridge could ever be made here.
  const env = { SKIFF_SOCKET: socket, SKIFF_DATA_DIR: dataDir, SKIFF_NETWORK_MODE: 'user' };
  try {
    const refused = await runSkiff(['remotes'], { env: { ...env, SKIFF_NO_AUTOSTART: '1' } });
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /cannot connect to skiffd at .*skiffd\.sock: ENOENT/);
    const started = await runSkiff(['remotes', '--format', 'json'], {
      env: { ...env, SKIFF_NO_AUTOSTART: '' },
    });
    assert.equal(started.code, 0, started.stderr);
    assert.match(
      started.stderr,
      /started skiffd in the background \(socket .*skiffd\.sock, log .*skiffd\.log\)/,
    );
    const { remotes } = JSON.parse(started.stdout) as { remotes: Array<{ url: string }> };
    assert.equal(remotes[0]?.url, 'http://127.0.0.1:9/releases/');
    const again = await runSkiff(['version'], { env: { ...env, SKIFF_NO_AUTOSTART: '1' } });
    assert.equal(again.code, 0, 'the background daemon keeps answering');
  } finally {
    const pid = Number(
      /"pid":(\d+)/.exec(await readFile(join(dataDir, 'skiffd.log'), 'utf8').catch(() => ''))?.[1],
    );
    if (pid > 0) process.kill(pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await rm(dir, { recursive: true, force: true });
  }
});
