/**
 * Per-user trust on the Unix socket, with real users of the group skiff: the first member is trusted on first
 * use (as Multipass trusts its first client); a second member gets Multipass's `Please authenticate` until it
 * authenticates with the passphrase; root always may.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirrorServer } from '../harness/mirror-server.js';
import { SkiffDaemon } from '../harness/skiff-process.js';
import { TestUsers, type TestUser } from '../harness/unprivileged-user.js';

describe('per-user trust on the socket', { timeout: 5 * 60_000 }, () => {
  const users = new TestUsers();
  const mirror = new MirrorServer();
  let work: string;
  let socket: string;
  let daemon: SkiffDaemon | undefined;
  let first: TestUser;
  let second: TestUser;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiffsec-trust-'));
    await chmod(work, 0o755);
    socket = join(work, 'skiffd.sock');
    first = await users.add({ member: true });
    second = await users.add({ member: true });
    daemon = await SkiffDaemon.start({ mirror: await mirror.start(), socket });
  });

  after(async () => {
    await daemon?.stop();
    await mirror.close();
    await users.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('root may, the first member is trusted on first use, the next one must authenticate', async () => {
    assert.equal((await daemon!.cli(['list'])).code, 0, 'root, before anyone');
    const one = await first.skiff(['list'], socket);
    assert.equal(one.code, 0, one.stderr);
    const refused = await second.skiff(['list'], socket);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /The client is not authenticated with the skiff service\.\nPlease use 'skiff authenticate' before proceeding\./,
    );
    assert.equal((await daemon!.cli(['list'])).code, 0, 'root still may');
    assert.equal((await first.skiff(['list'], socket)).code, 0, 'the first member still may');

    assert.equal((await daemon!.cli(['set', 'local.passphrase=team passphrase'])).code, 0);
    const wrong = await second.skiff(['authenticate', 'nope'], socket);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Passphrase is not correct/);
    // The wait is that client's alone: the first member goes on as before.
    assert.equal((await first.skiff(['list'], socket)).code, 0);
    const wait = Number(/may try again in (\d+) s/.exec(wrong.stderr)?.[1]);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 200));
    const right = await second.skiff(['authenticate', 'team passphrase'], socket);
    assert.equal(right.code, 0, right.stderr);
    const now = await second.skiff(['list'], socket);
    assert.equal(now.code, 0, now.stderr);
  });
});
