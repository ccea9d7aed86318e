import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inProcessPeerCred, readPeerCred } from './so-peercred.js';
import { peerCredentials } from './peer-credentials.js';

test('SO_PEERCRED in-process: the connecting process, as the kernel saw it; perl agrees', async () => {
  assert.ok(inProcessPeerCred(), 'koffi loads on this machine');
  const dir = await mkdtemp(join(tmpdir(), 'skiff-peercred-'));
  const path = join(dir, 's.sock');
  const accepted = new Promise<Socket>((resolve) => {
    const server = createServer((socket) => {
      server.close();
      resolve(socket);
    }).listen(path, () => connect(path));
  });
  try {
    const socket = await accepted;
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const here = readPeerCred(fd);
    assert.deepEqual(here, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    assert.deepEqual(await peerCredentials(socket), here);
    socket.destroy();
    // Not a socket at all: refused by the kernel, said as null.
    const file = await open(join(dir, 'plain'), 'w');
    assert.equal(readPeerCred(file.fd), null);
    await file.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
