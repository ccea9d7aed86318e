import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../../core/errors.js';
import type { GuestShell, SshTarget } from './ports.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { GuestFactsCache, type GuestLocation } from './guest-facts-cache.js';

/** Facts whose 1-minute load is the number of the read, so a test sees which read it got. */
const factsOutput = (n: number) =>
  `PRETTY_NAME="Test OS"\n@@\n${n} 0 0 1/1 1\n@@\n/dev/vda1 100 40 60 40% /\n@@\nMemTotal: 1000 kB\nMemAvailable: 600 kB\n@@\n10.0.2.15\n`;

type Behaviour = 'answer' | 'hang' | 'refuse';

/** A guest shell driven by the test: answers, hangs until its timeout (as the real one does), or is refused. */
class ScriptedShell implements Pick<GuestShell, 'run'> {
  behaviour: Behaviour = 'answer';
  readonly calls: Array<{ target: SshTarget; timeoutMs?: number; maxOutputBytes?: number }> = [];
  constructor(private readonly clock: FakeClock) {}

  run(
    target: SshTarget,
    _command: string,
    options: { timeoutMs?: number; maxOutputBytes?: number } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    this.calls.push({ target, ...options });
    const n = this.calls.length;
    switch (this.behaviour) {
      case 'answer':
        return Promise.resolve({ code: 0, stdout: factsOutput(n), stderr: '' });
      case 'refuse':
        return Promise.resolve({
          code: 255,
          stdout: '',
          stderr: 'ssh: connect to host 127.0.0.1 port 4022: Connection refused\u001b[2J\n',
        });
      case 'hang':
        return new Promise((_resolve, reject) =>
          this.clock.setTimeout(
            () => reject(new SkiffError('timeout', `ssh timed out after ${options.timeoutMs} ms`)),
            options.timeoutMs ?? 60_000,
          ),
        );
    }
  }
}

const target = (port: number): SshTarget => ({
  host: '127.0.0.1',
  port,
  user: 'ubuntu',
  keyPath: '/k',
  hostKey: { knownHostsFile: '/known_hosts', alias: 'vm' },
});

function setup() {
  const clock = new FakeClock();
  const shell = new ScriptedShell(clock);
  let location: GuestLocation | null = { target: target(4022), boot: 'vm:1:4022' };
  const cache = new GuestFactsCache({ clock, shell, locate: () => location });
  return {
    clock,
    shell,
    cache,
    move: (next: GuestLocation | null) => (location = next),
  };
}

/** The value of `promise` if it settles without time passing, else 'waiting'. */
async function immediately<T>(promise: Promise<T>): Promise<T | 'waiting'> {
  return Promise.race([promise, settle().then(() => 'waiting' as const)]);
}

test('the first read waits for the guest; later reads answer from the cache without an ssh', async () => {
  const t = setup();
  const first = await t.cache.read('vm');
  assert.equal(first?.status, 'fresh');
  assert.equal(first?.facts?.release, 'Test OS');
  assert.deepEqual(first?.facts?.load, [1, 0, 0]);
  assert.equal(first?.ageMs, 0);
  assert.equal(t.shell.calls.length, 1);
  assert.equal(t.shell.calls[0]?.timeoutMs, 5_000);
  assert.ok((t.shell.calls[0]?.maxOutputBytes ?? Infinity) <= 64 * 1024);

  await t.clock.advance(2_000);
  const second = await immediately(t.cache.read('vm'));
  assert.notEqual(second, 'waiting');
  assert.deepEqual(second !== 'waiting' && second?.facts?.load, [1, 0, 0]);
  assert.equal(second !== 'waiting' && second?.ageMs, 2_000);
  assert.equal(t.shell.calls.length, 1);
  t.cache.stop();
});

test('200 concurrent first reads share one ssh session', async () => {
  const t = setup();
  const readings = await Promise.all(Array.from({ length: 200 }, () => t.cache.read('vm')));
  assert.equal(t.shell.calls.length, 1);
  assert.ok(readings.every((r) => r?.status === 'fresh'));
  t.cache.stop();
});

test('reads again every 5 s while asked, and stops touching the guest a minute after the last ask', async () => {
  const t = setup();
  await t.cache.read('vm');
  await t.clock.advance(5_000);
  assert.equal(t.shell.calls.length, 2);
  const reading = await t.cache.read('vm');
  assert.deepEqual(reading?.facts?.load, [2, 0, 0]);
  await t.clock.advance(60_000);
  const calls = t.shell.calls.length;
  assert.ok(calls >= 12 && calls <= 14, `about one read per 5 s for a minute, got ${calls}`);
  await t.clock.advance(10 * 60_000);
  assert.equal(t.shell.calls.length, calls);
  assert.deepEqual(t.clock.pendingDelays(), []);
  t.cache.stop();
});

test('a hung guest: the first read gives up waiting after 3 s and says the guest is slow', async () => {
  const t = setup();
  t.shell.behaviour = 'hang';
  let settled = false;
  const read = t.cache.read('vm').finally(() => (settled = true));
  await t.clock.advance(2_999);
  assert.equal(settled, false);
  await t.clock.advance(1);
  assert.deepEqual(await read, {
    status: 'pending',
    facts: null,
    readAtMs: null,
    ageMs: null,
    error: 'guest slow to answer: no reply after 3 s yet',
  });
  await t.clock.advance(2_000);
  const after = await immediately(t.cache.read('vm'));
  assert.deepEqual(after, {
    status: 'unavailable',
    facts: null,
    readAtMs: null,
    ageMs: null,
    error: 'guest not answering: ssh timed out after 5 s',
  });
  t.cache.stop();
});

test('a guest that stops answering: its last facts are served at once, marked stale, with their age and why', async () => {
  const t = setup();
  const readAt = t.clock.now();
  await t.cache.read('vm');
  t.shell.behaviour = 'hang';
  // The next read starts at 5 s and times out at 10 s.
  await t.clock.advance(10_000);
  for (const at of [10_000, 12_000, 30_000]) {
    await t.clock.advance(at - (t.clock.now() - readAt));
    const reading = await immediately(t.cache.read('vm'));
    assert.notEqual(reading, 'waiting', `read at ${at} ms waited`);
    assert.deepEqual(reading, {
      status: 'stale',
      facts: reading !== 'waiting' ? reading?.facts : null,
      readAtMs: readAt,
      ageMs: at,
      error: 'guest not answering: ssh timed out after 5 s',
    });
    assert.equal(reading !== 'waiting' && reading?.facts?.release, 'Test OS');
  }
  // Answering again: the next scheduled read clears the error.
  t.shell.behaviour = 'answer';
  await t.clock.advance(15_000);
  const back = await t.cache.read('vm');
  assert.equal(back?.status, 'fresh');
  assert.equal(back?.error, null);
  t.cache.stop();
});

test('ssh refused: unavailable, with ssh’s own line and no control characters', async () => {
  const t = setup();
  t.shell.behaviour = 'refuse';
  const reading = await t.cache.read('vm');
  assert.equal(reading?.status, 'unavailable');
  assert.equal(
    reading?.error,
    'guest not answering: ssh: connect to host 127.0.0.1 port 4022: Connection refused [2J',
  );
  t.cache.stop();
});

test('facts older than 15 s after a quiet spell are renewed before answering', async () => {
  const t = setup();
  await t.cache.read('vm');
  await t.clock.advance(10 * 60_000);
  const calls = t.shell.calls.length;
  const reading = await t.cache.read('vm');
  assert.equal(t.shell.calls.length, calls + 1);
  assert.equal(reading?.status, 'fresh');
  assert.equal(reading?.ageMs, 0);
  t.cache.stop();
});

test('a new boot drops the facts of the previous one; a stopped instance has none and is not read', async () => {
  const t = setup();
  await t.cache.read('vm');
  t.move({ target: target(5022), boot: 'vm:1:5022' });
  t.shell.behaviour = 'hang';
  const read = t.cache.read('vm');
  await t.clock.advance(3_000);
  const reading = await read;
  assert.equal(reading?.status, 'pending');
  assert.equal(reading?.facts, null);
  assert.equal(t.shell.calls.at(-1)?.target.port, 5022);

  t.move(null);
  assert.equal(await t.cache.read('vm'), null);
  const calls = t.shell.calls.length;
  await t.clock.advance(5 * 60_000);
  assert.equal(t.shell.calls.length, calls);
  assert.deepEqual(t.clock.pendingDelays(), []);
  t.cache.stop();
});

test('stop() cancels every schedule', async () => {
  const t = setup();
  await t.cache.read('vm');
  assert.notDeepEqual(t.clock.pendingDelays(), []);
  t.cache.stop();
  assert.deepEqual(t.clock.pendingDelays(), []);
  await t.clock.advance(60_000);
  assert.equal(t.shell.calls.length, 1);
});

test('after a quiet spell a slow guest gets 3 s, then its old facts are served with their age', async () => {
  const t = setup();
  const readAt = t.clock.now();
  await t.cache.read('vm');
  await t.clock.advance(10 * 60_000);
  t.shell.behaviour = 'hang';
  const read = t.cache.read('vm');
  await t.clock.advance(3_000);
  const reading = await read;
  assert.equal(reading?.status, 'stale');
  assert.equal(reading?.facts?.release, 'Test OS');
  // The last read while warm was a minute after the ask.
  assert.equal(reading?.readAtMs, readAt + 60_000);
  assert.equal(reading?.ageMs, 9 * 60_000 + 3_000);
  assert.equal(reading?.error, 'guest slow to answer: no reply after 3 s yet');
  t.cache.stop();
});
