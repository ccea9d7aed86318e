/**
 * The exec websocket end to end on a real Unix socket, with a GuestExecutor that runs commands on the host
 * (the guest side is the e2e test's business): streams both ways with backpressure, exit codes, errors
 * before the upgrade, a client that leaves, a client that breaks the protocol.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { CHANNEL, encodeData, parseServerControl } from '../../api/exec-frames.js';
import { DaemonClient } from '../../client/daemon-client.js';
import { SkiffError } from '../../core/errors.js';
import type { SshTarget } from '../../core/ssh-args.js';
import { ExecService } from '../../services/exec/exec-service.js';
import type { ExecProcess, ExecSpec, GuestExecutor } from '../../services/exec/ports.js';
import { buildServer } from '../server.js';
import type { Services } from '../services.js';

/** Runs the argv on the host; remembers each process so the test can see it was ended. */
class HostExecutor implements GuestExecutor {
  readonly started: ChildProcess[] = [];
  start(_target: SshTarget, spec: ExecSpec): ExecProcess {
    if (spec.kind !== 'command') throw new Error('commands only');
    const child = spawn(spec.argv[0]!, spec.argv.slice(1));
    this.started.push(child);
    child.stdin.on('error', () => undefined);
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      resize: async () => undefined,
      kill: () => void child.kill('SIGKILL'),
      exited: new Promise((resolve) => child.once('close', (code) => resolve(code ?? 137))),
    };
  }
}

const TARGET: SshTarget = {
  host: '127.0.0.1',
  port: 22,
  user: 'u',
  keyPath: '/nonexistent',
  hostKey: { knownHostsFile: '/nonexistent', alias: 'a' },
};

let dir: string;
let app: FastifyInstance;
let client: DaemonClient;
const executor = new HostExecutor();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-exec-route-'));
  const exec = new ExecService({
    sshTarget: async (name) => {
      if (name === 'stopped') throw new SkiffError('conflict', 'instance "stopped" is not running');
      return TARGET;
    },
    executor,
  });
  // Every client is a trusted local root here; the client gate has its own tests.
  const services = {
    version: 'test',
    exec,
    identity: async () => ({ client: { kind: 'user', uid: 0 }, caller: { uid: 0, gid: 0 }, remote: false }),
    trust: { check: async () => undefined },
  };
  app = await buildServer(services as unknown as Services, pino({ level: 'silent' }));
  await app.listen({ path: join(dir, 'sock') });
  client = new DaemonClient(join(dir, 'sock'));
});

after(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

/** A Writable keeping what it gets; `slow` makes it wait a little on each chunk (backpressure). */
function sink(slow = false): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      if (slow) setTimeout(callback, 1);
      else callback();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('stdin to stdout byte for byte, both ways under backpressure; stderr apart; the exit code', async () => {
  const input = randomBytes(4 * 2 ** 20);
  const out = sink(true);
  const err = sink();
  const channel = await client.exec('vm', {
    command: ['sh', '-c', 'cat; echo done >&2; exit 3'],
  });
  const code = await channel.run({ stdin: Readable.from([input]), stdout: out.stream, stderr: err.stream });
  assert.equal(code, 3);
  assert.equal(sha(out.bytes()), sha(input));
  assert.equal(err.bytes().toString(), 'done\n');
});

test('errors before the upgrade come back as SkiffErrors naming the field or the state', async () => {
  await assert.rejects(client.exec('stopped', { command: ['true'] }), { code: 'conflict' });
  await assert.rejects(client.exec('vm', { command: ['true'], cols: 80 }), {
    code: 'invalid-argument',
    message: /cols, rows, term: only with tty/,
  });
  await assert.rejects(client.exec('vm', { command: ['true'], term: 'a b' }), {
    code: 'invalid-argument',
    message: /term/,
  });
});

test('a client that goes away ends the command', async () => {
  const channel = await client.exec('vm', { command: ['sleep', '300'] });
  const running = channel.run({ stdin: new PassThrough(), stdout: sink().stream, stderr: sink().stream });
  const child = executor.started.at(-1)!;
  channel.close();
  await assert.rejects(running, { code: 'daemon-unreachable' });
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(20);
  assert.equal(child.signalCode, 'SIGKILL');
});

test('a client that breaks the protocol gets an error message and the command ends', async () => {
  const socket = new WebSocket(
    `ws+unix:${join(dir, 'sock')}:/1.0/instances/vm/exec?command=sleep&command=300`,
  );
  await new Promise((resolve) => socket.once('open', resolve));
  const child = executor.started.at(-1)!;
  const messages: string[] = [];
  socket.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(String(data));
  });
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  socket.send(encodeData(CHANNEL.stdout, Buffer.from('not mine')));
  assert.equal(await closed, 1002);
  const control = parseServerControl(messages[0]!);
  assert.equal(control.type, 'error');
  assert.match(control.type === 'error' ? control.error.message : '', /clients write only stdin/);
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(20);
  assert.equal(child.signalCode, 'SIGKILL');
});
