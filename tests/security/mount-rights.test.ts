/**
 * Who may mount what, against a real skiffd (root) played by a real member of the group skiff and by root: the
 * daemon takes who asks from the socket's SO_PEERCRED and checks the source as that user, so a member cannot
 * share a directory they may not read (a 0700 root directory), a system tree (/etc, /root), a directory of
 * someone else, or a path with a symlink in it, even by talking to the API without the CLI (whose own checks
 * come first). Root may mount anything; `local.privileged-mounts=false` refuses everyone. The instance is a
 * stopped one (its record written before the daemon starts): a stopped instance's mounts are only recorded, so
 * no VM is needed. Nothing is recorded by a refused request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorServer } from '../harness/mirror-server.js';
import { workWithStoppedInstance } from '../harness/stopped-instance.js';
import { SkiffDaemon } from '../harness/skiff-process.js';
import { TestUsers, type TestUser } from '../harness/unprivileged-user.js';

/** POSTs a mount body straight to the API as `user` (no CLI checks): `STATUS BODY`. */
const RAW_POST = `
const http = require('node:http');
const [socketPath, body] = process.argv.slice(1);
const req = http.request({ socketPath, method: 'POST', path: '/1.0/instances/web/mounts',
  headers: { 'content-type': 'application/json' } }, (res) => {
  let text = ''; res.setEncoding('utf8'); res.on('data', (c) => (text += c));
  res.on('end', () => process.stdout.write(res.statusCode + ' ' + text));
});
req.end(body);`;

describe('mount: who may mount what', { timeout: 5 * 60_000 }, () => {
  const users = new TestUsers();
  const mirror = new MirrorServer();
  let work: string;
  let socket: string;
  let daemon: SkiffDaemon | undefined;
  let member: TestUser;
  let locked: string;
  /** Root's, readable by all. */
  let shared: string;
  let own: string;

  before(async () => {
    const made = await workWithStoppedInstance('skiffsec-mnt-', 'web');
    ({ work, socket } = made);
    const dataDir = made.dataDir;
    shared = join(work, 'shared');
    await mkdir(shared, { mode: 0o755 });
    locked = join(work, 'locked');
    await mkdir(locked, { mode: 0o700 });
    await users.ensureGroup();
    member = await users.add({ member: true });
    // The member's own directory, behind a parent they cannot search: theirs, and still unreadable to them.
    await mkdir(join(locked, 'inner'));
    await chown(join(locked, 'inner'), member.uid, member.gid);
    own = join(member.home, 'project');
    await mkdir(own);
    await chown(own, member.uid, member.gid);
    await symlink('/etc', join(member.home, 'etc-link'));
    daemon = await SkiffDaemon.start({ mirror: await mirror.start(), dataDir, socket });
  });

  after(async () => {
    await daemon?.stop();
    await mirror.close();
    await users.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const mountsOf = async () => {
    const info = JSON.parse((await daemon!.cli(['info', 'web', '--format', 'json'])).stdout) as {
      info: { web: { mounts: Record<string, { source_path: string }> } };
    };
    return Object.entries(info.info.web.mounts).map(([target, m]) => `${m.source_path}=>${target}`);
  };
  const rawPost = async (body: object) => {
    const result = await member.run([process.execPath, '-e', RAW_POST, socket, JSON.stringify(body)]);
    assert.equal(result.code, 0, result.stderr);
    const space = result.stdout.indexOf(' ');
    return {
      status: Number(result.stdout.slice(0, space)),
      error: (JSON.parse(result.stdout.slice(space + 1)) as { error?: { code: string; message: string } })
        .error,
    };
  };

  test("a member: an unreadable directory, /etc, /root, a symlink, another user's directory: refused", async () => {
    // The CLI refuses first, as the member, for what the member cannot read.
    const viaCli = await member.skiff(['mount', locked, 'web:/locked'], socket);
    assert.equal(viaCli.code, 1, viaCli.stderr);
    assert.match(viaCli.stderr, new RegExp(`Source path "${locked}" is not readable`));
    const rootDir = await member.skiff(['mount', '/root', 'web:/r'], socket);
    assert.equal(rootDir.code, 1, rootDir.stderr);
    // /etc is readable: the daemon refuses it.
    const etc = await member.skiff(['mount', '/etc', 'web:/e'], socket);
    assert.equal(etc.code, 2, etc.stderr);
    assert.match(etc.stderr, /only root may mount "\/etc": it is, holds or lies in the system tree \/etc/);

    // Straight to the API, past the CLI: the daemon checks as the member (SO_PEERCRED), whatever is sent.
    const cases: Array<[object, RegExp]> = [
      [{ source_path: locked, target_path: '/locked' }, /only its owner \(uid 0\) or root may mount/],
      [
        { source_path: join(locked, 'inner'), target_path: '/inner' },
        new RegExp(`^uid ${member.uid} may not read "${join(locked, 'inner')}"$`),
      ],
      [{ source_path: '/root', target_path: '/r' }, /only root may mount "\/root"/],
      [
        { source_path: '/etc', target_path: '/e', uid_mappings: [{ host: 0, guest: 0 }] },
        /only root may mount "\/etc"/,
      ],
      [{ source_path: '/', target_path: '/all' }, /only root may mount "\/"/],
      [
        { source_path: join(member.home, 'etc-link'), target_path: '/l' },
        /resolves to "\/etc": a symbolic link/,
      ],
      [{ source_path: shared, target_path: '/w' }, /only its owner \(uid 0\) or root may mount/],
    ];
    for (const [body, message] of cases) {
      const { status, error } = await rawPost(body);
      assert.equal(status, 403, JSON.stringify(body));
      assert.equal(error?.code, 'permission-denied');
      assert.match(error?.message ?? '', message, JSON.stringify(body));
    }
    assert.deepEqual(await mountsOf(), [], 'nothing recorded');
  });

  test('a member may mount their own directory (classic); root may mount /etc; umount forgets them', async () => {
    const mine = await member.skiff(['mount', own, 'web:code'], socket);
    assert.equal(mine.code, 0, mine.stderr);
    const etc = await daemon!.cli(['mount', '-u', '0:0', '-g', '0:0', '/etc', 'web:/host-etc']);
    assert.equal(etc.code, 0, etc.stderr);
    assert.deepEqual((await mountsOf()).sort(), [`${own}=>/home/ubuntu/code`, '/etc=>/host-etc'].sort());
    const info = JSON.parse((await daemon!.cli(['info', 'web', '--format', 'json'])).stdout) as {
      info: { web: { mounts: Record<string, { uid_mappings: string[]; gid_mappings: string[] }> } };
    };
    // Classic, the member's default: the member is the guest's default user inside.
    assert.deepEqual(info.info.web.mounts['/home/ubuntu/code'], {
      source_path: own,
      uid_mappings: [`${member.uid}:default`],
      gid_mappings: [`${member.gid}:default`],
    });
    assert.deepEqual(info.info.web.mounts['/host-etc']?.uid_mappings, ['0:0']);
    const again = await member.skiff(['mount', own, 'web:code'], socket);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /"\/home\/ubuntu\/code" is already mounted in 'web'/);
    const table = await daemon!.cli(['info', 'web']);
    assert.match(table.stdout, new RegExp(`^Mounts: +.* => /`, 'm'));
    assert.match(table.stdout, /^ {20}UID map: 0:0$/m);
    // Native is root's: its host side keeps the ids the guest writes, setuid-root files included.
    const native = await member.skiff(['mount', '-t', 'native', own, 'web:/native'], socket);
    assert.equal(native.code, 2, native.stderr);
    assert.match(native.stderr, /native mounts are served by root, so a guest could leave setuid-root files/);
    // A native map the driver cannot honour (QEMU 7.2's virtiofsd and 9p pass ids through): refused, not ignored.
    const mapped = await daemon!.cli(['mount', '-t', 'native', '-u', '0:1000', own, 'web:/mapped']);
    assert.equal(mapped.code, 2, mapped.stderr);
    assert.match(mapped.stderr, /uidMap 0:1000 cannot be honoured/);

    assert.equal((await member.skiff(['umount', 'web:code'], socket)).code, 0);
    const missing = await daemon!.cli(['unmount', 'web:/nowhere']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /path "\/nowhere" is not mounted in 'web'/);
    assert.equal((await daemon!.cli(['umount', 'web'])).code, 0);
    assert.deepEqual(await mountsOf(), []);
  });

  test('bad input: clear errors with Multipass words, nothing recorded', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['mount', own, 'web', '-t', 'nfs'],
        1,
        /Bad mount type 'nfs' specified, please use 'classic' or 'native'/,
      ],
      [['mount', own, 'web', '-u', '1000'], 1, /Invalid UID map given: 1000/],
      [['mount', own, 'web', '-g', 'a:b'], 1, /Invalid GID map given: a:b/],
      [['mount', join(work, 'nope'), 'web'], 1, /Source path ".*nope" does not exist/],
      [['mount', join(own, '..', 'etc-link', 'passwd'), 'web'], 1, /is not a directory/],
      [['mount', own, 'web:/proc'], 1, /unable to mount to "\/proc"/],
      [['mount', own, 'ghost'], 2, /instance 'ghost' does not exist/],
      [['mount', own], 1, /missing required argument|error/],
    ];
    for (const [args, code, message] of cases) {
      const result = await daemon!.cli(args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.deepEqual(await mountsOf(), []);
  });

  test('local.privileged-mounts=false refuses every mount, root included', async () => {
    assert.equal((await daemon!.cli(['set', 'local.privileged-mounts=false'])).code, 0);
    try {
      for (const result of [
        await daemon!.cli(['mount', '/etc', 'web:/e']),
        await member.skiff(['mount', own, 'web:code'], socket),
      ]) {
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /Mounts are disabled on this installation of skiff/);
      }
      assert.deepEqual(await mountsOf(), []);
    } finally {
      assert.equal((await daemon!.cli(['set', 'local.privileged-mounts=true'])).code, 0);
    }
  });
});
