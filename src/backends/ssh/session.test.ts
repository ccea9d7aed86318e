import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SshTarget } from '../../services/instances/ports.js';
import { OpenSshGuestShell, probeSshBanner } from './session.js';

let dir = '';
let fakeSsh = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-session-'));
  // Stands in for ssh: runs the remote command line (the last argument) locally, like sshd's `sh -c`.
  // With $FAIL_FIRST set, the first N calls fail like ssh does before the guest installed the key.
  fakeSsh = join(dir, 'fake-ssh');
  await writeFile(
    fakeSsh,
    [
      '#!/bin/sh',
      'for last; do :; done',
      'if [ -n "$FAIL_FILE" ]; then',
      '  n=$(cat "$FAIL_FILE" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAIL_FILE"',
      '  [ "$n" -lt 2 ] && { echo "Permission denied (publickey)." >&2; exit 255; }',
      'fi',
      'exec sh -c "$last"',
      '',
    ].join('\n'),
  );
  await chmod(fakeSsh, 0o755);
});
after(() => rm(dir, { recursive: true, force: true }));

/** A TCP server on loopback; `onConnection` decides what each client sees. */
async function server(
  onConnection: (socket: Socket, index: number) => void,
): Promise<{ port: number; close: () => void }> {
  let count = 0;
  const srv: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket, count++);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const address = srv.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    port: address.port,
    close: () => {
      srv.close();
    },
  };
}

const targetOn = (port: number): SshTarget => ({
  host: '127.0.0.1',
  port,
  user: 'ubuntu',
  keyPath: '/nonexistent',
  hostKey: { knownHostsFile: '/nonexistent/known_hosts', alias: 'test', learn: true },
});

test('probeSshBanner: a banner, a connection closed at once (slirp, nothing listening), silence, refusal', async () => {
  const ssh = await server((s) => s.write('SSH-2.0-dropbear_2022.83\r\n'));
  const slirp = await server((s) => s.end());
  const mute = await server(() => undefined);
  const http = await server((s) => s.write('HTTP/1.1 400 Bad Request\r\n'));
  try {
    assert.deepEqual(await probeSshBanner('127.0.0.1', ssh.port, 1_000), {
      ok: true,
      banner: 'SSH-2.0-dropbear_2022.83',
    });
    assert.deepEqual(await probeSshBanner('127.0.0.1', slirp.port, 1_000), {
      ok: false,
      reason: 'connection closed before the SSH banner',
    });
    assert.deepEqual(await probeSshBanner('127.0.0.1', mute.port, 100), {
      ok: false,
      reason: 'no SSH banner yet',
    });
    assert.match((await probeSshBanner('127.0.0.1', http.port, 1_000)).ok ? '' : 'not SSH', /not SSH/);
  } finally {
    for (const s of [ssh, slirp, mute, http]) s.close();
  }
  const refused = await probeSshBanner('127.0.0.1', ssh.port, 1_000);
  assert.equal(refused.ok, false);
});

test('run: exit code, stdout, stderr and stdin pass through', async () => {
  const shell = new OpenSshGuestShell({ sshBinary: fakeSsh });
  const target = targetOn(1);
  assert.deepEqual(await shell.run(target, 'echo out; echo err >&2; exit 42'), {
    code: 42,
    stdout: 'out\n',
    stderr: 'err\n',
  });
  assert.deepEqual(await shell.run(target, 'tr a-z A-Z', { input: 'hello\n' }), {
    code: 0,
    stdout: 'HELLO\n',
    stderr: '',
  });
  assert.equal((await shell.run(target, 'kill -9 $$')).code, 137);
});

test('run: a timeout kills ssh and says so', async () => {
  const shell = new OpenSshGuestShell({ sshBinary: fakeSsh });
  const started = Date.now();
  await assert.rejects(shell.run(targetOn(1), 'sleep 10', { timeoutMs: 200 }), { code: 'timeout' });
  assert.ok(Date.now() - started < 5_000);
});

test('run: a missing ssh names the apt package', async () => {
  const shell = new OpenSshGuestShell({ sshBinary: join(dir, 'no-ssh') });
  await assert.rejects(shell.run(targetOn(1), 'true'), {
    code: 'missing-dependency',
    message: /install the openssh-client package/,
    details: { program: join(dir, 'no-ssh'), package: 'openssh-client' },
  });
});

test('run: output past maxOutputBytes kills ssh and fails, keeping a chatty guest from filling memory', async () => {
  const shell = new OpenSshGuestShell({ sshBinary: fakeSsh });
  await assert.rejects(shell.run(targetOn(1), 'yes', { maxOutputBytes: 1_000, timeoutMs: 10_000 }), {
    code: 'internal',
    message: /wrote more than 1000 bytes/,
  });
  assert.equal((await shell.run(targetOn(1), 'head -c 1000 /dev/zero', { maxOutputBytes: 1_000 })).code, 0);
});

test('run: at most maxSessions ssh processes at once, the rest wait their turn', async () => {
  const shell = new OpenSshGuestShell({ sshBinary: fakeSsh, maxSessions: 2 });
  const gate = join(dir, 'gate');
  const marks = await mkdtemp(join(dir, 'marks-'));
  // Each command marks that it started, then blocks until the gate file exists.
  const command = `touch ${marks}/$$; while [ ! -e ${gate} ]; do sleep 0.05; done; echo done`;
  const runs = Array.from({ length: 5 }, () => shell.run(targetOn(1), command, { timeoutMs: 30_000 }));
  while ((await readdir(marks)).length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(shell.sessions(), { active: 2, waiting: 3 });
  // Give a (wrongly) unlimited shell every chance to start a third.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await readdir(marks)).length, 2);
  await writeFile(gate, '');
  const results = await Promise.all(runs);
  assert.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 5 }, () => 'done\n'),
  );
  assert.equal((await readdir(marks)).length, 5);
  assert.deepEqual(shell.sessions(), { active: 0, waiting: 0 });
});

test('waitReady: waits past early closes and auth failures, then resolves', async () => {
  // The first two connections close at once (the guest's sshd is not up), then the banner comes.
  const guest = await server((s, i) => (i < 2 ? s.end() : s.write('SSH-2.0-OpenSSH_9.6\r\n')));
  process.env.FAIL_FILE = join(dir, 'fails');
  try {
    const shell = new OpenSshGuestShell({ sshBinary: fakeSsh, retryDelayMs: 20 });
    await shell.waitReady(targetOn(guest.port), { timeoutMs: 10_000 });
  } finally {
    delete process.env.FAIL_FILE;
    guest.close();
  }
});

test('waitReady: times out with the last reason', async () => {
  const guest = await server((s) => s.end());
  try {
    const shell = new OpenSshGuestShell({ sshBinary: fakeSsh, retryDelayMs: 20 });
    await assert.rejects(
      shell.waitReady(targetOn(guest.port), { timeoutMs: 300 }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'timeout');
        assert.match(
          error.message,
          /^SSH on 127\.0\.0\.1:\d+ not ready after 0 s: connection closed before the SSH banner$/,
        );
        return true;
      },
    );
  } finally {
    guest.close();
  }
});

test('waitReady: an abort stops the wait with its reason', async () => {
  const guest = await server((s) => s.end());
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('launch cancelled')), 100);
  try {
    const shell = new OpenSshGuestShell({ sshBinary: fakeSsh, retryDelayMs: 20 });
    await assert.rejects(
      shell.waitReady(targetOn(guest.port), { timeoutMs: 10_000, signal: controller.signal }),
      /launch cancelled/,
    );
  } finally {
    guest.close();
  }
});
