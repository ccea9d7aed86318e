import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, chmod, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureKeyPair } from './keys.js';

const run = promisify(execFile);
let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-keys-'));
});
after(() => rm(root, { recursive: true, force: true }));

test('creates an ed25519 pair (0600 private key, 0700 dir) and reuses it', async () => {
  const dir = join(root, 'a', 'ssh');
  const first = await ensureKeyPair({ dir });
  assert.equal(first.privateKeyPath, join(dir, 'id_ed25519'));
  assert.equal(first.publicKeyPath, join(dir, 'id_ed25519.pub'));
  assert.match(first.publicKey, /^ssh-ed25519 AAAA\S+ skiff$/);
  assert.equal((await stat(first.privateKeyPath)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await readFile(first.publicKeyPath, 'utf8')).trim(), first.publicKey);
  assert.deepEqual((await readdir(dir)).sort(), ['id_ed25519', 'id_ed25519.pub']);
  const { stdout } = await run('ssh-keygen', ['-l', '-f', first.privateKeyPath]);
  assert.match(stdout, /ED25519/);
  assert.deepEqual(await ensureKeyPair({ dir }), first);
});

test('repairs a missing or mismatched public key and loose permissions from the private key', async () => {
  const dir = join(root, 'b');
  const pair = await ensureKeyPair({ dir });
  await unlink(pair.publicKeyPath);
  await chmod(pair.privateKeyPath, 0o644);
  const again = await ensureKeyPair({ dir });
  assert.equal(again.publicKey, pair.publicKey);
  assert.equal((await stat(pair.privateKeyPath)).mode & 0o777, 0o600);
  await writeFile(pair.publicKeyPath, 'ssh-ed25519 AAAAsomethingelse other\n');
  assert.equal((await ensureKeyPair({ dir })).publicKey, pair.publicKey);
});

test('concurrent callers agree on one key pair', async () => {
  const dir = join(root, 'c');
  const pairs = await Promise.all([1, 2, 3, 4].map(() => ensureKeyPair({ dir, comment: 'skiffd' })));
  assert.equal(new Set(pairs.map((p) => p.publicKey)).size, 1);
  const { stdout } = await run('ssh-keygen', ['-y', '-f', join(dir, 'id_ed25519')]);
  assert.equal(
    stdout.trim().split(' ').slice(0, 2).join(' '),
    pairs[0]?.publicKey.split(' ').slice(0, 2).join(' '),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['id_ed25519', 'id_ed25519.pub']);
});

test('a private key that is not a key fails as key-unreadable naming the file, and is left as it was', async () => {
  const dir = join(root, 'd');
  await ensureKeyPair({ dir });
  const privateKeyPath = join(dir, 'id_ed25519');
  await writeFile(privateKeyPath, 'not a key\n', { mode: 0o600 });
  await assert.rejects(ensureKeyPair({ dir }), {
    name: 'KeyUnreadableError',
    code: 'key-unreadable',
    message: new RegExp(`^reading the public key of ${privateKeyPath}: `),
    details: { path: privateKeyPath },
  });
  assert.equal(await readFile(privateKeyPath, 'utf8'), 'not a key\n');
});

test('without ssh-keygen on PATH the error is missing-dependency naming the package', async () => {
  const path = process.env.PATH;
  process.env.PATH = join(root, 'no-such-bin');
  try {
    await assert.rejects(ensureKeyPair({ dir: join(root, 'e') }), {
      code: 'missing-dependency',
      message: /ssh-keygen not found on PATH: install the openssh-client package/,
      details: { program: 'ssh-keygen', package: 'openssh-client' },
    });
  } finally {
    process.env.PATH = path;
  }
});
