/**
 * Security and input checks of `skiff forward` against a real skiffd, played by a real member of the group
 * skiff and by root: a host port below 1024 only for root (the daemon, root, binds it for the caller; who the
 * caller is comes from the socket's SO_PEERCRED, not from anything the client says), and every kind of bad
 * input is a clear error with nothing recorded. The instance is a stopped one (its record written before the
 * daemon starts), so no VM is needed: a stopped instance's forwards are only recorded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { peerCredentials } from '../../src/backends/host/peer-credentials.js';
import { MirrorServer } from '../harness/mirror-server.js';
import { workWithStoppedInstance } from '../harness/stopped-instance.js';
import { SkiffDaemon } from '../harness/skiff-process.js';
import { TestUsers, type TestUser } from '../harness/unprivileged-user.js';

function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server
      .once('error', reject)
      .listen({ host, port }, () => resolve((server.address() as { port: number }).port));
  });
}

/** A port free now: `below` 1024 (tried downwards from 1023) or any. */
async function freePort(below1024 = false): Promise<number> {
  for (let port = below1024 ? 1023 : 0; port >= (below1024 ? 900 : 0); port--) {
    const server = createServer();
    const got = await listen(server, port).catch(() => null);
    if (got !== null) {
      await new Promise((resolve) => server.close(resolve));
      return got;
    }
  }
  throw new Error('no free port below 1024');
}

describe('forward: privileged ports and bad input', { timeout: 5 * 60_000 }, () => {
  const users = new TestUsers();
  const mirror = new MirrorServer();
  let work: string;
  let socket: string;
  let daemon: SkiffDaemon | undefined;
  let member: TestUser;

  before(async () => {
    const made = await workWithStoppedInstance('skiffsec-fwd-', 'web');
    ({ work, socket } = made);
    const dataDir = made.dataDir;
    await users.ensureGroup();
    member = await users.add({ member: true });
    daemon = await SkiffDaemon.start({ mirror: await mirror.start(), dataDir, socket });
  });

  after(async () => {
    await daemon?.stop();
    await mirror.close();
    await users.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const forwardsOf = async () =>
    (
      JSON.parse((await daemon!.cli(['forward', 'list', '--format', 'json'])).stdout) as {
        forwards: Array<{ instance: string; host_port: number; active: boolean }>;
      }
    ).forwards.map((f) => `${f.instance}:${f.host_port}:${f.active}`);

  test('SO_PEERCRED names the connecting user (root or a member)', async () => {
    const path = join(work, 'run', 'peer.sock');
    const seen: Array<number | null> = [];
    const server = createServer((connection) => {
      void peerCredentials(connection).then((credentials) => {
        seen.push(credentials?.uid ?? null);
        connection.end('bye');
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    await chmod(path, 0o666);
    try {
      const script = `const c = require('node:net').connect(process.argv[1]); c.on('data', () => c.end());`;
      const asMember = await member.run([process.execPath, '-e', script, path]);
      assert.equal(asMember.code, 0, asMember.stderr);
      // And root (this process).
      await new Promise<void>((resolve, reject) => {
        const c = connect(path);
        c.on('data', () => c.end())
          .on('close', () => resolve())
          .on('error', reject);
      });
      assert.deepEqual(seen, [member.uid, 0]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a member may not forward a port below 1024; above it, yes; root may', async () => {
    const privileged = await freePort(true);
    const denied = await member.skiff(['forward', 'add', 'web', `${privileged}:80`], socket);
    assert.equal(denied.code, 2, denied.stderr);
    assert.match(
      denied.stderr,
      new RegExp(
        `host port ${privileged} is below 1024: only root may forward it .*you are uid ${member.uid}`,
      ),
    );
    assert.deepEqual(await forwardsOf(), [], 'nothing recorded');

    const port = await freePort();
    const allowed = await member.skiff(['forward', 'add', 'web', `${port}:80`], socket);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(
      allowed.stdout,
      `Forwarding 127.0.0.1:${port}/tcp to web port 80 (from the next start of web)\n`,
    );

    const asRoot = await daemon!.cli(['forward', 'add', 'web', `${privileged}:80`]);
    assert.equal(asRoot.code, 0, asRoot.stderr);
    assert.deepEqual(await forwardsOf(), [`web:${privileged}:false`, `web:${port}:false`]);

    const removed = await member.skiff(['forward', 'remove', 'web', String(port)], socket);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await daemon!.cli(['forward', 'remove', 'web', `127.0.0.1:${privileged}/tcp`])).code, 0);
    assert.deepEqual(await forwardsOf(), []);
  });

  test('bad input, an unknown instance, a taken port, a duplicate: clear errors, nothing recorded', async () => {
    const holder = createServer();
    const taken = await listen(holder, 0);
    try {
      const cases: Array<[string[], number, RegExp]> = [
        [['web', '0:80'], 1, /host port 0 is out of range \(1-65535\)/],
        [['web', '8080:65536'], 1, /guest port 65536 is out of range/],
        [['web', 'localhost:8080:80'], 1, /host address "localhost" is not an IPv4 address/],
        [['web', '8080:80/sctp'], 1, /protocol "sctp" is not tcp or udp/],
        [['web', '8080'], 1, /expected \[ADDRESS:\]HOSTPORT:GUESTPORT/],
        [['ghost', '8080:80'], 2, /instance "ghost" does not exist/],
        [
          ['web', `${taken}:80`],
          2,
          new RegExp(`127\\.0\\.0\\.1:${taken}/tcp is already in use on this host`),
        ],
        [['web', `0.0.0.0:${taken}:80`], 2, new RegExp(`0\\.0\\.0\\.0:${taken}/tcp is already in use`)],
      ];
      for (const [args, code, message] of cases) {
        const result = await daemon!.cli(['forward', 'add', ...args]);
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message, args.join(' '));
      }
      assert.deepEqual(await forwardsOf(), []);

      const port = await freePort();
      assert.equal((await daemon!.cli(['forward', 'add', 'web', `${port}:80`])).code, 0);
      const again = await daemon!.cli(['forward', 'add', 'web', `127.0.0.1:${port}:81/tcp`]);
      assert.equal(again.code, 2);
      assert.match(
        again.stderr,
        new RegExp(`"web" already forwards 127\\.0\\.0\\.1:${port}/tcp \\(to guest port 80\\)`),
      );
      const missing = await daemon!.cli(['forward', 'remove', 'web', `${port}/udp`]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, new RegExp(`"web" has no forward on 127\\.0\\.0\\.1:${port}/udp`));
      assert.deepEqual(await forwardsOf(), [`web:${port}:false`]);
      const table = await daemon!.cli(['forward', 'list', 'web']);
      assert.match(table.stdout, new RegExp(`^web +tcp +127\\.0\\.0\\.1:${port} +80 +no$`, 'm'));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
