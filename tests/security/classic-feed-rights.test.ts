/**
 * The host side of a classic (SSHFS) mount reaches files with the rights of the user who mounted, never the
 * daemon's: the real SftpFeed starts OpenSSH's sftp-server as a real unprivileged user, and a stand-in for ssh
 * (a small SFTP client on the other end of the pipes, playing the guest's sshfs) asks it to open files. A
 * root-only file is refused to the user and opened for root; a file the user makes belongs to the user.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSshSftpFeed } from '../../src/backends/ssh/sftp-feed.js';
import type { SshTarget } from '../../src/core/ssh-args.js';
import { TestUsers, type TestUser } from '../harness/unprivileged-user.js';

/**
 * Plays sshfs: INIT, then one OPEN of `FLAGS PATH`, its last argument (where ssh's remote command goes); exits 0 when a handle comes back, 10 + the SFTP status code otherwise.
 */
const CLIENT = `
const [flags, path] = process.argv.at(-1).split(' ');
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const str = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const send = (type, payload) => process.stdout.write(Buffer.concat([u32(payload.length + 1), Buffer.from([type]), payload]));
send(1, u32(3));
let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
    const p = buf.subarray(4, 4 + buf.readUInt32BE(0));
    buf = buf.subarray(4 + p.length);
    if (p[0] === 2) send(3, Buffer.concat([u32(1), str(path), u32(Number(flags)), u32(0)]));
    else if (p[0] === 102) { console.error('opened ' + path); process.exit(0); }
    else if (p[0] === 101) { const code = p.readUInt32BE(5); console.error('status ' + code); process.exit(10 + code); }
  }
});
process.stdin.on('end', () => process.exit(1));
`;

const READ = 0x01;
const WRITE_CREATE = 0x02 | 0x08;

const users = new TestUsers();
let work: string;
let member: TestUser;
let locked: string;
let own: string;
let feed: ReturnType<typeof openSshSftpFeed>;
let calls = 0;

/** A target the stand-in ignores (it never connects anywhere). */
const target: SshTarget = {
  host: '127.0.0.1',
  port: 9,
  user: 'ubuntu',
  keyPath: '/nonexistent',
  hostKey: { knownHostsFile: '/dev/null', alias: 'none' },
};

const open = async (owner: { uid: number; gid: number }, source: string, path: string, flags: number) => {
  const handle = await feed.start({
    ssh: target,
    command: `${flags} ${path}`,
    source,
    owner,
    label: `rights-${++calls}`,
  });
  // The feed's processes are unref'd (they may outlive a daemon): hold the loop open while they run.
  const alive = setInterval(() => undefined, 1_000);
  try {
    return await handle.exited;
  } finally {
    clearInterval(alive);
  }
};

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skiffsec-feed-'));
  await chmod(work, 0o755);
  await users.ensureGroup();
  member = await users.add({ member: true });
  locked = join(work, 'locked');
  await mkdir(locked, { mode: 0o700 });
  await writeFile(join(locked, 'secret.txt'), 'root only\n', { mode: 0o600 });
  own = join(work, 'own');
  await mkdir(own);
  await chown(own, member.uid, member.gid);
  const client = join(work, 'fake-ssh');
  await writeFile(client, `#!${process.execPath}\n${CLIENT}`, { mode: 0o755 });
  feed = openSshSftpFeed({ logDir: join(work, 'logs'), sshBinary: client });
});

after(async () => {
  await users.cleanup();
  await rm(work, { recursive: true, force: true });
});

test('a root-only file: refused to the member (permission denied), opened for root', async () => {
  const who = { uid: member.uid, gid: member.gid };
  assert.match(await open(who, locked, join(locked, 'secret.txt'), READ), /ended \(exit \d+\): status 3$/);
  assert.match(
    await open({ uid: 0, gid: 0 }, locked, join(locked, 'secret.txt'), READ),
    /ended \(exit 0\): opened /,
  );
});

test("a file made through the member's feed belongs to the member", async () => {
  const made = join(own, 'made-in-guest.txt');
  assert.match(await open({ uid: member.uid, gid: member.gid }, own, made, WRITE_CREATE), /: opened /);
  const facts = await stat(made);
  assert.equal(facts.uid, member.uid);
  assert.equal(facts.gid, member.gid);
});
