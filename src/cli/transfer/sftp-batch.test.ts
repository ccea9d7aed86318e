import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdirParents, sftpBatch, sftpLine, sftpQuote } from './sftp-batch.js';

/** Names that break naive quoting: spaces, both quotes, $, backslashes, globs, #, a leading dash. */
const TRICKY = [
  'two words',
  "it's",
  'say "hi"',
  '$HOME and `id`',
  'back\\slash',
  'glob*?[x]',
  '#hash',
  '-dash',
  'tab\there',
  ' lead and trail ',
  'ünï',
];

test('sftpQuote: double quotes, only " and \\ escaped; newlines and leading dashes refused', () => {
  assert.equal(sftpQuote('/a b'), '"/a b"');
  assert.equal(sftpQuote('/say "hi"'), '"/say \\"hi\\""');
  assert.equal(sftpQuote('/b\\s'), '"/b\\\\s"');
  assert.equal(sftpQuote("/it's $x *"), '"/it\'s $x *"');
  assert.throws(() => sftpQuote('/a\nb'), /newline/);
  assert.throws(() => sftpQuote('/a\rb'), /newline/);
  assert.throws(() => sftpQuote('-x'), /option/);
});

test('batch lines: put/get with -r, mkdir never stops the batch, over-long lines refused', () => {
  assert.equal(sftpLine({ op: 'put', local: '/l', remote: 'r', recursive: false }), 'put "/l" "r"');
  assert.equal(sftpLine({ op: 'get', remote: 'r', local: '/l', recursive: true }), 'get -r "r" "/l"');
  assert.equal(sftpBatch([{ op: 'mkdir', remote: 'a' }]), '-mkdir "a"\n');
  assert.throws(
    () => sftpLine({ op: 'put', local: `/${'x'.repeat(600)}`, remote: 'y'.repeat(600), recursive: false }),
    /too long/,
  );
  assert.deepEqual(mkdirParents('a/b/c'), [
    { op: 'mkdir', remote: 'a' },
    { op: 'mkdir', remote: 'a/b' },
    { op: 'mkdir', remote: 'a/b/c' },
  ]);
  assert.deepEqual(
    mkdirParents('/x/y').map((c) => (c.op === 'mkdir' ? c.remote : '')),
    ['/x', '/x/y'],
  );
  assert.deepEqual(
    mkdirParents('./d').map((c) => (c.op === 'mkdir' ? c.remote : '')),
    ['./d'],
  );
});

// The quoting checked against OpenSSH itself: sftp runs the batch against a local sftp-server (`-D`), no VM.
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';
test(
  'real sftp copies files with tricky names both ways, byte for byte',
  { skip: !existsSync(SFTP_SERVER) && 'no sftp-server (scripts/install-deps)' },
  async () => {
    const work = await mkdtemp(join(tmpdir(), 'skiff-sftp-'));
    try {
      await mkdir(join(work, 'src', 'sub dir'), { recursive: true });
      await mkdir(join(work, 'remote'));
      await mkdir(join(work, 'back'));
      for (const [i, name] of TRICKY.entries())
        await writeFile(join(work, 'src', name), `content ${i} ${name}`);
      await writeFile(join(work, 'src', 'sub dir', "n'ested"), 'deep');
      // Put each file under its own name (the remote target is a directory) and the tree with -r, then get back.
      const batch = sftpBatch([
        ...mkdirParents(join(work, 'remote', 'made', 'here')),
        ...TRICKY.map((name) => ({
          op: 'put' as const,
          local: join(work, 'src', name),
          remote: join(work, 'remote', 'made', 'here'),
          recursive: false,
        })),
        {
          op: 'put',
          local: join(work, 'src', 'sub dir'),
          remote: join(work, 'remote', 'tree "1"'),
          recursive: true,
        },
        ...TRICKY.map((name) => ({
          op: 'get' as const,
          remote: join(work, 'remote', 'made', 'here', name),
          local: join(work, 'back'),
          recursive: false,
        })),
      ]);
      execFileSync('sftp', ['-q', '-b', '-', '-D', SFTP_SERVER], {
        input: batch,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      assert.deepEqual((await readdir(join(work, 'remote', 'made', 'here'))).sort(), [...TRICKY].sort());
      assert.deepEqual((await readdir(join(work, 'back'))).sort(), [...TRICKY].sort());
      for (const [i, name] of TRICKY.entries())
        assert.equal(await readFile(join(work, 'back', name), 'utf8'), `content ${i} ${name}`);
      assert.equal(await readFile(join(work, 'remote', 'tree "1"', "n'ested"), 'utf8'), 'deep');
      // A glob character is never expanded: a missing `*` fails instead of matching the files above.
      assert.throws(() =>
        execFileSync('sftp', ['-q', '-b', '-', '-D', SFTP_SERVER], {
          input: sftpBatch([
            {
              op: 'get',
              remote: join(work, 'remote', 'made', 'here', '*'),
              local: join(work, 'back'),
              recursive: false,
            },
          ]),
          stdio: ['pipe', 'ignore', 'pipe'],
        }),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
);
