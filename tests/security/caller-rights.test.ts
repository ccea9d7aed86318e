/**
 * Security: skiffd (root) reads local files with the rights of the user who asked, never its own; its data is
 * root's alone; only root and the group skiff reach its socket. Played by real users (made and removed here):
 * a member of the group skiff and an outsider, running the real CLI against a real daemon.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirrorServer } from '../harness/mirror-server.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { SkiffDaemon } from '../harness/skiff-process.js';
import { TestUsers, type TestUser } from '../harness/unprivileged-user.js';

const SECRET = 'root-only secret: never in the vault\n';
/** An image an earlier skiff left readable (0644 in a 0755 data dir); skiffd must lock it up at start. */
const OLD_IMAGE = Buffer.from('an image cached by an older skiff, mode 0644\n');
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A raw API call made by `user` with node (what a hostile member could send without the CLI). */
function rawRequest(user: TestUser, socket: string, method: string, path: string, body: string) {
  const script = `
    const req = require('node:http').request(
      { socketPath: process.argv[1], method: ${JSON.stringify(method)}, path: ${JSON.stringify(path)},
        headers: { 'content-type': process.argv[2], 'content-length': Buffer.byteLength(process.argv[3]) } },
      (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => console.log(res.statusCode, b)); });
    req.on('error', (e) => console.log('error', e.code));
    req.end(process.argv[3]);`;
  const type = method === 'PUT' ? 'application/octet-stream' : 'application/json';
  return user.run([process.execPath, '-e', script, socket, type, body]);
}

describe('caller rights', { timeout: 15 * 60_000 }, () => {
  const users = new TestUsers();
  const mirror = new MirrorServer();
  let work: string;
  let dataDir: string;
  let socket: string;
  let daemon: SkiffDaemon | undefined;
  let member: TestUser;
  let outsider: TestUser;
  let secret: string;

  const vaultFiles = async () => ({
    images: (await readdir(join(dataDir, 'vault', 'images'))).sort(),
    partial: await readdir(join(dataDir, 'vault', 'partial')),
  });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiffsec-'));
    await chmod(work, 0o755);
    secret = join(work, 'secret.raw');
    await writeFile(secret, SECRET, { mode: 0o600 });
    // An existing install with loose modes, as skiff made them before.
    dataDir = join(work, 'data');
    await mkdir(join(dataDir, 'vault', 'images'), { recursive: true, mode: 0o755 });
    await chmod(dataDir, 0o755);
    await writeFile(join(dataDir, 'vault', 'images', `${sha(OLD_IMAGE)}.img`), OLD_IMAGE, { mode: 0o644 });
    // The socket lives outside the data dir, in a folder everyone may enter (as /run/skiff).
    await mkdir(join(work, 'run'), { mode: 0o755 });
    socket = join(work, 'run', 'skiffd.sock');
    await users.ensureGroup();
    member = await users.add({ member: true });
    outsider = await users.add({ member: false });
    daemon = await SkiffDaemon.start({ mirror: await mirror.start(), dataDir, socket });
  });

  after(async () => {
    await daemon?.stop();
    await mirror.close();
    await users.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a member cannot make skiffd read a file they cannot read: nothing reaches the vault', async () => {
    const before = await vaultFiles();
    for (const path of [secret, '/etc/shadow']) {
      const result = await member.skiff(['launch', `file://${path}`, '-n', 'leak'], socket);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`image file ${path}: permission denied`));
    }
    const cloudInit = await member.skiff(['launch', '--cloud-init', secret, '-n', 'leak'], socket);
    assert.equal(cloudInit.code, 1, cloudInit.stderr);
    assert.match(cloudInit.stderr, /--cloud-init .*cannot read it \(EACCES/);
    assert.deepEqual(await vaultFiles(), before);
    assert.doesNotMatch(daemon!.logs(), /receiving image upload/);
  });

  test('a symlink the member makes to a root-only file is refused the same way', async () => {
    const before = await vaultFiles();
    const link = join(member.home, 'innocent.img');
    assert.equal((await member.run(['ln', '-s', secret, link])).code, 0);
    const result = await member.skiff(['launch', `file://${link}`, '-n', 'leak'], socket);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /permission denied/);
    assert.deepEqual(await vaultFiles(), before);
  });

  test('the API itself opens no path a client names, and uploads need a launch that asked for them', async () => {
    const refused = await rawRequest(
      member,
      socket,
      'POST',
      '/1.0/instances',
      JSON.stringify({ image: `file://${secret}`, name: 'leak' }),
    );
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stdout, /"type":"error".*"code":"invalid-argument".*does not open local paths/);
    const stray = await rawRequest(member, socket, 'PUT', `/1.0/uploads/${'0'.repeat(32)}`, 'bytes');
    assert.match(stray.stdout, /^404 .*no launch is waiting for this upload/);
    const list = JSON.parse((await member.skiff(['list', '--format', 'json'], socket)).stdout) as {
      list: unknown[];
    };
    assert.deepEqual(list.list, [], 'no instance was made');
  });

  test('a member launches from a file they can read: a real boot, the image stored as root’s', async () => {
    const image = join(member.home, 'mine.img');
    await copyFile(await buildTestImage(), image);
    await chown(image, member.uid, member.gid);
    await chmod(image, 0o600);
    const launched = await member.skiff(['launch', `file://${image}`, '-n', 'own', '-m', '512M'], socket, {
      timeoutMs: 10 * 60_000,
    });
    assert.equal(launched.code, 0, `${launched.stderr}\n${daemon!.logs().slice(-3000)}`);
    assert.match(launched.stdout, /Launched: own/);
    const id = sha(await readFile(image));
    const info = JSON.parse((await member.skiff(['info', 'own', '--format', 'json'], socket)).stdout) as {
      info: Record<string, { state: string; image_hash: string }>;
    };
    assert.equal(info.info.own?.state, 'Running');
    assert.equal(info.info.own?.image_hash, id);
    // Membership is root in the guests: the member's commands run there as the sudo user.
    const inGuest = await member.skiff(['exec', 'own', '--', 'id', '-un'], socket);
    assert.equal(inGuest.code, 0, inGuest.stderr);
    assert.equal(inGuest.stdout.trim(), 'ubuntu');
    const stored = await stat(join(dataDir, 'vault', 'images', `${id}.img`));
    assert.equal(stored.uid, 0);
    assert.equal(stored.mode & 0o777, 0o600);
    const deleted = await member.skiff(['delete', '--purge', 'own'], socket);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  test('the data dir and the vault are root’s alone, also for an install made before', async () => {
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
    const images = join(dataDir, 'vault', 'images');
    for (const name of await readdir(images)) {
      assert.equal((await stat(join(images, name))).mode & 0o077, 0, `${name} is closed to group and others`);
    }
    assert.equal((await stat(join(images, `${sha(OLD_IMAGE)}.img`))).mode & 0o777, 0o600);
    for (const path of [dataDir, join(images, `${sha(OLD_IMAGE)}.img`), join(dataDir, 'ssh')]) {
      const read = await member.run(['cat', path]);
      assert.notEqual(read.code, 0);
      assert.match(read.stderr, /Permission denied/);
    }
    const listing = await member.run(['ls', dataDir]);
    assert.match(listing.stderr, /Permission denied/);
  });

  test('the socket is root:skiff 0660: a user outside the group cannot connect at all', async () => {
    const info = await stat(socket);
    assert.equal(info.mode & 0o777, 0o660);
    assert.equal(info.gid, await users.ensureGroup());
    const result = await outsider.skiff(['list'], socket);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /permission denied \(EACCES\); only root and members of the group skiff/);
    const member_ = await member.skiff(['list'], socket);
    assert.equal(member_.code, 0, member_.stderr);
  });
});
