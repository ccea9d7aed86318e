/**
 * Integration: a real skiffd started on corrupt state files starts anyway, uses the previous good version,
 * says in its log what it recovered and where it kept the bad file, drops records whose names would be paths
 * outside the data dir, and never deletes a non-socket at its --socket path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFFD, SkiffDaemon } from '../harness/skiff-process.js';

// Nothing listens there: these daemons never fetch (and never leave loopback).
const MIRROR = 'http://127.0.0.1:9/';

const record = (name: string, launched = true) => ({
  name,
  state: 'Running',
  stateBeforeDelete: null,
  cpus: 1,
  memoryBytes: 2 ** 30,
  diskBytes: 5 * 2 ** 30,
  sshPort: 40022,
  mac: '52:54:00:12:34:56',
  image: { id: '', path: '', releaseTitle: '', os: '', remote: null, query: 'noble', version: '' },
  createdAtMs: 1_700_000_000_000,
  shutdownAtMs: null,
  launched,
});
const envelope = (data: unknown) => JSON.stringify({ schema: 1, data });

describe('skiffd on corrupt state files', () => {
  let work: string;
  let dataDir: string;
  let daemon: SkiffDaemon;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-state-it-'));
    dataDir = join(work, 'a', 'data');
    await mkdir(join(dataDir, 'instances', 'alpha'), { recursive: true });
    // What `rm -r instances/../../victim` would reach: it must survive.
    await mkdir(join(work, 'a', 'victim'));
    await writeFile(join(work, 'a', 'victim', 'file'), 'not skiff data');
    // The previous good versions (as the daemon keeps them), one with a hostile record that was never launched.
    await writeFile(
      join(dataDir, 'instances.json.bak'),
      envelope([record('alpha'), record('../../victim', false)]),
    );
    await writeFile(join(dataDir, 'instances.json'), envelope([record('alpha')]).slice(0, 40));
    await writeFile(join(dataDir, 'settings.json.bak'), envelope({ 'client.primary-name': 'home' }));
    await writeFile(join(dataDir, 'settings.json'), envelope(['wrong', 'type']));
    daemon = await SkiffDaemon.start({ mirror: MIRROR, dataDir });
  });
  after(async () => {
    await daemon?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('it starts, with the previous versions of both files', async () => {
    const list = await daemon.cli(['list', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const names = (JSON.parse(list.stdout) as { list: Array<{ name: string }> }).list.map((i) => i.name);
    assert.deepEqual(names, ['alpha']);
    const primary = await daemon.cli(['get', 'client.primary-name']);
    assert.equal(primary.stdout.trim(), 'home');
  });

  test('the log says what was recovered and where the bad files are', async () => {
    const files = await readdir(dataDir);
    const kept = files.filter((f) => f.includes('.corrupt-')).sort();
    assert.equal(kept.length, 2, files.join(' '));
    assert.match(kept[0]!, /^instances\.json\.corrupt-\d{8}T\d{6}\.\d{3}Z$/);
    assert.match(kept[1]!, /^settings\.json\.corrupt-/);
    assert.equal(await readFile(join(dataDir, kept[1]!), 'utf8'), envelope(['wrong', 'type']));
    const logs = daemon.logs();
    assert.match(logs, /state file instances\.json: recovered the previous version from its \.bak/);
    assert.match(logs, /state file settings\.json: recovered the previous version from its \.bak/);
    assert.match(logs, /dropped instance record \\"\.\.\/\.\.\/victim\\": name is not a valid instance name/);
  });

  test('a record named ../../victim deleted nothing outside the data dir', async () => {
    assert.equal(await readFile(join(work, 'a', 'victim', 'file'), 'utf8'), 'not skiff data');
  });
});

describe('skiffd state files that used to stop it', () => {
  for (const [what, instances, settings] of [
    ['wrong-typed instances.json (was a TypeError)', envelope({ alpha: record('alpha') }), null],
    ['JSON null in both', 'null', 'null'],
    ['empty files, no backups', '', ''],
  ] as const) {
    test(`${what}: starts empty and says so`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'skiff-state-it-'));
      await writeFile(join(dataDir, 'instances.json'), instances);
      if (settings !== null) await writeFile(join(dataDir, 'settings.json'), settings);
      const daemon = await SkiffDaemon.start({ mirror: MIRROR, dataDir });
      try {
        const list = await daemon.cli(['list', '--format', 'json']);
        assert.equal(list.code, 0, list.stderr);
        assert.deepEqual(JSON.parse(list.stdout), { list: [] });
        assert.match(daemon.logs(), /state file instances\.json: neither the file nor its \.bak was usable/);
      } finally {
        await daemon.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }
});

test('--socket at a regular file: skiffd refuses to start and leaves the file alone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-state-it-'));
  try {
    const victim = join(dir, 'precious.txt');
    await writeFile(victim, 'keep me');
    const child = spawn(
      SKIFFD,
      [
        '--data-dir',
        join(dir, 'data'),
        '--socket',
        victim,
        '--image-mirror',
        MIRROR,
        '--network-mode',
        'user',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, SKIFF_NO_AUTOSTART: '1' },
        timeout: 30_000,
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /^skiffd: --socket .*precious\.txt: a regular file is in the way/);
    assert.equal(await readFile(victim, 'utf8'), 'keep me');
    assert.ok((await stat(victim)).isFile());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
