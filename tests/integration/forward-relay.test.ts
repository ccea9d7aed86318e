/**
 * Integration: the daemon's relays (how a forward reaches a guest on skiff's NAT bridge) against real loopback
 * servers: TCP echo with half-close and a large transfer, a refusing guest, UDP echo with two clients and the
 * idle timeout, taken ports. Then the NAT path whole: the forwards service with real relays, a "guest" on
 * 127.0.0.2 standing in for the bridge address.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { socketPortProbe } from '../../src/backends/forward/port-probe.js';
import { socketRelays } from '../../src/backends/forward/socket-relays.js';
import { TcpRelay } from '../../src/backends/forward/tcp-relay.js';
import { UdpRelay } from '../../src/backends/forward/udp-relay.js';
import type { ForwardRule } from '../../src/core/forward-rule.js';
import { ForwardsService } from '../../src/services/forwards/forwards-service.js';
import { InstanceStore } from '../../src/services/instances/store.js';
import { FakeDriver } from '../../src/testing/fake-vm.js';

const tcp = (hostPort: number, guestPort = 1): ForwardRule => ({
  protocol: 'tcp',
  hostAddress: '127.0.0.1',
  hostPort,
  guestPort,
});

function listen(server: Server, host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server
      .once('error', reject)
      .listen({ host, port }, () => resolve((server.address() as { port: number }).port));
  });
}
const closeServer = (server: Server) => new Promise((resolve) => server.close(resolve));

/** A port free now (bound and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

/** A UDP port free now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Writes `data`, half-closes, and collects everything until the other side ends. */
function exchange(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.end(data);
  });
}

/** An echo server; with `afterEnd`, answers only once the client half-closed (it reads all first). */
async function echoServer(options: { afterEnd?: boolean; host?: string } = {}) {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (!options.afterEnd) return void socket.pipe(socket);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => socket.end(`got ${Buffer.concat(chunks).length} bytes after your FIN`));
  });
  const port = await listen(server, options.host);
  return {
    port,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

async function udpEcho(host = '127.0.0.1') {
  const socket = createSocket('udp4');
  socket.on('message', (message, from) =>
    socket.send(Buffer.concat([Buffer.from('echo:'), message]), from.port, from.address),
  );
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(resolve)) };
}

/** Sends one datagram from `client` and waits for one answer. */
function ask(client: UdpSocket, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    client.once('message', (message) => resolve(message.toString()));
    client.send(text, port, '127.0.0.1');
  });
}

async function until(predicate: () => boolean, what: string, limitMs = 10_000) {
  const end = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await sleep(20);
  }
}

describe('TCP relay', () => {
  test('echoes through, and passes a half-close: the answer after the client FIN still arrives', async () => {
    const echo = await echoServer();
    const finAware = await echoServer({ afterEnd: true });
    const port = await freePort();
    const relay = await TcpRelay.open(tcp(port), { host: '127.0.0.1', port: echo.port });
    const port2 = await freePort();
    const relay2 = await TcpRelay.open(tcp(port2), { host: '127.0.0.1', port: finAware.port });
    try {
      assert.equal((await exchange(port, Buffer.from('hello'))).toString(), 'hello');
      assert.equal(
        (await exchange(port2, Buffer.alloc(1000, 1))).toString(),
        'got 1000 bytes after your FIN',
      );
      await until(() => relay.active === 0 && relay2.active === 0, 'both connections closed');
    } finally {
      await relay.close();
      await relay2.close();
      await echo.close();
      await finAware.close();
    }
  });

  test('a large transfer arrives whole, both ways', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const relay = await TcpRelay.open(tcp(port), { host: '127.0.0.1', port: echo.port });
    try {
      const data = randomBytes(32 * 2 ** 20);
      const back = await exchange(port, data);
      assert.equal(back.length, data.length);
      assert.equal(
        createHash('sha256').update(back).digest('hex'),
        createHash('sha256').update(data).digest('hex'),
      );
    } finally {
      await relay.close();
      await echo.close();
    }
  });

  test('a guest that refuses resets the client', async () => {
    const port = await freePort();
    const relay = await TcpRelay.open(tcp(port), { host: '127.0.0.1', port: await freePort() });
    try {
      await assert.rejects(exchange(port, Buffer.from('x')), { code: 'ECONNRESET' });
      await until(() => relay.active === 0, 'the pair is gone');
    } finally {
      await relay.close();
    }
  });

  test('close ends the connections it carries and frees the port', async () => {
    const echo = await echoServer();
    const port = await freePort();
    const relay = await TcpRelay.open(tcp(port), { host: '127.0.0.1', port: echo.port });
    const client = connect({ host: '127.0.0.1', port });
    const ended = new Promise((resolve) => client.on('close', resolve));
    client.on('error', () => undefined);
    await new Promise((resolve) => client.once('connect', resolve));
    await until(() => relay.active === 1, 'the connection is carried');
    await relay.close();
    await ended;
    await socketPortProbe.check(tcp(port));
    await echo.close();
  });

  test('a taken port is a conflict naming the address and port; the probe says the same', async () => {
    const holder = createServer();
    const port = await listen(holder);
    try {
      const expected = { code: 'conflict', message: `127.0.0.1:${port}/tcp is already in use on this host` };
      await assert.rejects(TcpRelay.open(tcp(port), { host: '127.0.0.1', port: 1 }), expected);
      await assert.rejects(socketPortProbe.check(tcp(port)), expected);
      await assert.rejects(socketPortProbe.check({ ...tcp(port), hostAddress: '0.0.0.0' }), {
        code: 'conflict',
      });
      await assert.rejects(socketPortProbe.check({ ...tcp(port), hostAddress: '192.0.2.1' }), {
        code: 'invalid-argument',
        message: /192\.0\.2\.1 is not an address of this host/,
      });
    } finally {
      await closeServer(holder);
    }
  });
});

describe('UDP relay', () => {
  test('two clients each get their own answers; idle clients are let go', async () => {
    const echo = await udpEcho();
    const port = await freeUdpPort();
    const rule = { ...tcp(port), protocol: 'udp' as const };
    const relay = await UdpRelay.open(rule, { host: '127.0.0.1', port: echo.port }, { idleMs: 300 });
    const [a, b] = [createSocket('udp4'), createSocket('udp4')];
    try {
      assert.equal(await ask(a, port, 'from a'), 'echo:from a');
      assert.equal(await ask(b, port, 'from b'), 'echo:from b');
      assert.equal(await ask(a, port, 'again a'), 'echo:again a');
      assert.equal(relay.clients, 2);
      await until(() => relay.clients === 0, 'idle clients dropped');
      assert.equal(await ask(b, port, 'later b'), 'echo:later b', 'a new upstream after the idle one went');
      await assert.rejects(UdpRelay.open(rule, { host: '127.0.0.1', port: 1 }), {
        code: 'conflict',
        message: `127.0.0.1:${port}/udp is already in use on this host`,
      });
      await assert.rejects(socketPortProbe.check(rule), { code: 'conflict' });
    } finally {
      a.close();
      b.close();
      await relay.close();
      await echo.close();
    }
    await socketPortProbe.check(rule);
  });

  test('past maxClients, new clients are dropped while known ones go on', async () => {
    const echo = await udpEcho();
    const port = await freeUdpPort();
    const rule = { ...tcp(port), protocol: 'udp' as const };
    const relay = await UdpRelay.open(rule, { host: '127.0.0.1', port: echo.port }, { maxClients: 1 });
    const [a, b] = [createSocket('udp4'), createSocket('udp4')];
    try {
      assert.equal(await ask(a, port, '1'), 'echo:1');
      let bHeard = false;
      b.on('message', () => (bHeard = true));
      b.send('2', port, '127.0.0.1');
      assert.equal(await ask(a, port, '3'), 'echo:3', 'a is still carried');
      assert.equal(bHeard, false);
      assert.equal(relay.clients, 1);
    } finally {
      a.close();
      b.close();
      await relay.close();
      await echo.close();
    }
  });
});

describe('NAT path: the forwards service with real relays', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('add carries at once to the guest address; stop closes the host port, start opens it again; remove closes it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'skiff-fwd-it-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // The "guest": an echo server on 127.0.0.2, as a guest's address on skiff's bridge would be.
    const guest = await echoServer({ host: '127.0.0.2' });
    const guestUdp = await udpEcho('127.0.0.2');
    cleanups.push(guest.close, guestUdp.close);
    const store = new InstanceStore(dataDir);
    await store.load();
    await store.put({
      name: 'web',
      state: 'Running',
      stateBeforeDelete: null,
      cpus: 1,
      memoryBytes: 2 ** 30,
      diskBytes: 2 ** 30,
      sshPort: 0,
      mac: '52:54:00:00:00:01',
      image: { id: '', path: '', releaseTitle: '', os: '', remote: null, query: '', version: '' },
      createdAtMs: 0,
      shutdownAtMs: null,
      launched: true,
      network: { mode: 'nat', ipv4: '127.0.0.2' },
    });
    const forwards = new ForwardsService({
      store,
      driver: new FakeDriver(),
      relays: socketRelays(),
      probe: socketPortProbe,
      liveStates: async () => new Map(store.all().map((r) => [r.name, r.state])),
      log: { info: () => undefined, warn: () => undefined },
    });
    cleanups.push(() => forwards.close());
    const [port, udpPort] = [await freePort(), await freeUdpPort()];
    await forwards.add('web', tcp(port, guest.port), async () => 1000);
    await forwards.add('web', { ...tcp(udpPort, guestUdp.port), protocol: 'udp' }, async () => 1000);
    assert.equal((await exchange(port, Buffer.from('through the relay'))).toString(), 'through the relay');
    const client = createSocket('udp4');
    assert.equal(await ask(client, udpPort, 'dns-ish'), 'echo:dns-ish');
    client.close();
    assert.deepEqual((await forwards.list()).map((f) => `${f.protocol} ${f.active}`).sort(), [
      'tcp true',
      'udp true',
    ]);

    await store.update('web', (r) => (r.state = 'Stopped'));
    await forwards.stopped('web');
    await assert.rejects(exchange(port, Buffer.from('x')), { code: 'ECONNREFUSED' });
    await socketPortProbe.check(tcp(port));

    await store.update('web', (r) => (r.state = 'Running'));
    await forwards.running(store.get('web')!);
    assert.equal((await exchange(port, Buffer.from('back again'))).toString(), 'back again');

    // Another program takes a port: adding it is a conflict naming it, and nothing is recorded.
    const holder = createServer();
    const taken = await listen(holder);
    cleanups.push(() => closeServer(holder));
    await assert.rejects(
      forwards.add('web', tcp(taken, guest.port), async () => 1000),
      {
        code: 'conflict',
        message: `127.0.0.1:${taken}/tcp is already in use on this host`,
      },
    );
    assert.equal(store.get('web')?.forwards?.length, 2);

    await forwards.remove('web', tcp(port));
    await assert.rejects(exchange(port, Buffer.from('x')), { code: 'ECONNREFUSED' });
  });
});
