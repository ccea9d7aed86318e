import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findExecutable } from '../qemu/process.js';
import { cloudInitFiles } from '../../services/instances/seed/cloud-init.js';
import { findIsoTool, isoArgs, writeSeedIso } from './seed-iso.js';
import type { IsoTool } from './seed-iso.js';

const run = promisify(execFile);

test('isoArgs: mkisofs style, label cidata, Joliet and Rock Ridge', () => {
  assert.deepEqual(
    isoArgs({ binary: 'genisoimage', prefix: [] }, '/o.iso', ['/s/user-data', '/s/meta-data']),
    [
      ...[
        '-quiet',
        '-output',
        '/o.iso',
        '-volid',
        'cidata',
        '-joliet',
        '-rock',
        '/s/user-data',
        '/s/meta-data',
      ],
    ],
  );
  assert.deepEqual(isoArgs({ binary: 'xorriso', prefix: ['-as', 'mkisofs'] }, '/o.iso', []).slice(0, 3), [
    '-as',
    'mkisofs',
    '-quiet',
  ]);
});

/** The ISO9660 primary volume descriptor's volume id (sector 16, offset 40, 32 bytes). */
async function volumeId(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(32);
    await handle.read(buffer, 0, 32, 16 * 2048 + 40);
    return buffer.toString('latin1').trim();
  } finally {
    await handle.close();
  }
}

const files = cloudInitFiles({
  instanceId: 'iid-1',
  hostname: 'seed-test',
  sshAuthorizedKeys: ['ssh-ed25519 AAAAkey skiff'],
  macAddress: '52:54:00:00:00:01',
});

const tools: Array<[string, IsoTool | null]> = [
  ['genisoimage', await findExecutable('genisoimage').then((b) => (b ? { binary: b, prefix: [] } : null))],
  [
    'xorriso',
    await findExecutable('xorriso').then((b) => (b ? { binary: b, prefix: ['-as', 'mkisofs'] } : null)),
  ],
];
const isoinfo = await findExecutable('isoinfo');

for (const [name, tool] of tools) {
  describe(`writeSeedIso with ${name}`, { skip: tool === null ? `${name} is not installed` : false }, () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-seed-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    test('writes seed.iso labelled cidata holding the files, and nothing else', async () => {
      const path = await writeSeedIso({ dir, files, tool: tool ?? undefined });
      assert.equal(path, join(dir, 'seed.iso'));
      assert.equal(await volumeId(path), 'cidata');
      assert.deepEqual(await readdir(dir), ['seed.iso'], 'staging and temp files are gone');
      if (isoinfo === null) return;
      for (const file of ['meta-data', 'user-data', 'network-config'] as const) {
        const { stdout } = await run('isoinfo', ['-i', path, '-J', '-x', `/${file}`]);
        assert.equal(stdout, files[file]);
      }
    });

    test('replaces an existing seed atomically', async () => {
      await writeFile(join(dir, 'seed.iso'), 'old');
      await writeSeedIso({ dir, files: { ...files, 'network-config': undefined }, tool: tool ?? undefined });
      assert.equal(await volumeId(join(dir, 'seed.iso')), 'cidata');
      if (isoinfo === null) return;
      const { stdout } = await run('isoinfo', ['-i', join(dir, 'seed.iso'), '-J', '-f']);
      assert.deepEqual(stdout.trim().split('\n').sort(), ['/meta-data', '/user-data']);
    });
  });
}

test('a failing tool leaves the old seed and no temp files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-seed-fail-'));
  try {
    await writeFile(join(dir, 'seed.iso'), 'old');
    await assert.rejects(writeSeedIso({ dir, files, tool: { binary: 'false', prefix: [] } }), {
      code: 'internal',
    });
    assert.deepEqual(await readdir(dir), ['seed.iso']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('with neither genisoimage nor xorriso on PATH the error is missing-dependency naming the package', async () => {
  const path = process.env.PATH;
  process.env.PATH = join(tmpdir(), 'skiff-no-such-bin');
  try {
    await assert.rejects(findIsoTool(), {
      name: 'MissingDependencyError',
      code: 'missing-dependency',
      message: /install the genisoimage package \(or xorriso\)/,
      details: { program: 'genisoimage', package: 'genisoimage' },
    });
  } finally {
    process.env.PATH = path;
  }
});
