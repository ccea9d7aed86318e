import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { QmpClient, withQmp } from './qmp-client.js';
import { QmpLineSplitter } from './qmp-codec.js';

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}\r\n';

type Command = { execute: string; arguments?: Record<string, unknown>; id?: string };
type Handler = (command: Command, socket: Socket) => void;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-qmp-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A fake QEMU monitor: greets (unless told not to), answers qmp_capabilities, hands the rest to `handler`. */
async function fakeQmp(name: string, handler: Handler, options: { greet?: boolean; before?: string } = {}) {
  const path = join(dir, name);
  const seen: Command[] = [];
  const server: Server = createServer((socket) => {
    if (options.before !== undefined) socket.write(options.before);
    if (options.greet !== false) socket.write(GREETING);
    const splitter = new QmpLineSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) {
        const command = JSON.parse(line) as Command;
        seen.push(command);
        if (command.execute === 'qmp_capabilities') socket.write(`{"return": {}, "id": "${command.id}"}\r\n`);
        else handler(command, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

const reply = (socket: Socket, command: Command, value: unknown): boolean =>
  socket.write(`${JSON.stringify({ return: value, id: command.id })}\r\n`);

test('negotiates capabilities first, then matches replies to commands by id', async () => {
  const held: Array<[Command, Socket]> = [];
  const qmp = await fakeQmp('order.sock', (command, socket) => {
    held.push([command, socket]);
    if (held.length === 2) for (const [c, s] of held.reverse()) reply(s, c, { for: c.execute });
  });
  const client = await QmpClient.connect(qmp.path);
  assert.equal(client.greeting.version.major, 7);
  const [a, b] = await Promise.all([client.execute('query-status'), client.execute('query-name')]);
  assert.deepEqual([a, b], [{ for: 'query-status' }, { for: 'query-name' }]);
  assert.equal(qmp.seen[0]?.execute, 'qmp_capabilities');
  client.close();
  await qmp.close();
});

test('events QEMU queued before the connection (and flushes ahead of the greeting) are skipped', async () => {
  const event = (name: string) =>
    `{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "${name}", "data": {}}\r\n`;
  const qmp = await fakeQmp('early-events.sock', (command, socket) => reply(socket, command, 'ok'), {
    before: event('ACPI_DEVICE_OST') + event('DEVICE_DELETED'),
  });
  assert.equal(await withQmp(qmp.path, (c) => c.execute('query-status')), 'ok');
  await qmp.close();
});

test('error replies become SkiffErrors carrying the QMP class', async () => {
  const qmp = await fakeQmp('error.sock', (command, socket) =>
    socket.write(`{"id": "${command.id}", "error": {"class": "DeviceNotActive", "desc": "No KVM"}}\r\n`),
  );
  await assert.rejects(
    withQmp(qmp.path, (c) => c.execute('query-kvm')),
    (error: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'internal');
      assert.equal(error.message, 'QMP query-kvm: DeviceNotActive: No KVM');
      assert.equal(error.details?.qmpClass, 'DeviceNotActive');
      return true;
    },
  );
  await qmp.close();
});

test('HMP output starting with "Error" throws; other output is returned', async () => {
  const qmp = await fakeQmp('hmp.sock', (command, socket) => {
    const line = String(command.arguments?.['command-line']);
    reply(socket, command, line === 'savevm x' ? 'Error: no space\r\n' : 'VM status: running\r\n');
  });
  await withQmp(qmp.path, async (c) => {
    assert.equal(await c.human('info status'), 'VM status: running\r\n');
    await assert.rejects(c.human('savevm x'), /HMP savevm x: Error: no space/);
  });
  await qmp.close();
});

test('events reach subscribers while commands are pending', async () => {
  const qmp = await fakeQmp('events.sock', (command, socket) => {
    socket.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "POWERDOWN"}\r\n');
    reply(socket, command, {});
  });
  const events: string[] = [];
  await withQmp(qmp.path, async (c) => {
    c.onEvent((e) => events.push(e.event));
    await c.execute('system_powerdown');
  });
  assert.deepEqual(events, ['POWERDOWN']);
  await qmp.close();
});

test('a command without a reply times out', async () => {
  const qmp = await fakeQmp('silent.sock', () => undefined);
  await assert.rejects(
    withQmp(qmp.path, (c) => c.execute('query-status', undefined, { timeoutMs: 50 })),
    { code: 'timeout', message: 'QMP query-status: no reply within 50 ms' },
  );
  await qmp.close();
});

test('a closed connection rejects pending commands; `closed` resolves', async () => {
  const qmp = await fakeQmp('quit.sock', (_command, socket) => socket.destroy());
  const client = await QmpClient.connect(qmp.path);
  await assert.rejects(client.execute('quit'), /closed/);
  await client.closed;
  await assert.rejects(client.execute('query-status'), /closed/);
  await qmp.close();
});

test('no greeting within the budget is a timeout; a missing socket keeps its errno as cause', async () => {
  const qmp = await fakeQmp('mute.sock', () => undefined, { greet: false });
  await assert.rejects(QmpClient.connect(qmp.path, { timeoutMs: 50 }), { code: 'timeout' });
  await qmp.close();
  await assert.rejects(QmpClient.connect(join(dir, 'absent.sock')), (error: Error) => {
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  });
});

test('connect honours an abort signal', async () => {
  const qmp = await fakeQmp('abort.sock', () => undefined, { greet: false });
  const controller = new AbortController();
  const pending = QmpClient.connect(qmp.path, { signal: controller.signal });
  controller.abort(new Error('stop now'));
  await assert.rejects(pending, /stop now/);
  await qmp.close();
});
