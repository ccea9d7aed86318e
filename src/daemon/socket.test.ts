import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearStaleSocket, removeSocket } from './socket.js';

test('--socket never removes something that is not a socket', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-sock-'));
  try {
    const file = join(dir, 'precious');
    await writeFile(file, 'keep me');
    await assert.rejects(clearStaleSocket(file), /precious: a regular file is in the way/);
    await removeSocket(file);
    assert.equal(await readFile(file, 'utf8'), 'keep me');
    await mkdir(join(dir, 'd'));
    await assert.rejects(clearStaleSocket(join(dir, 'd')), /a directory is in the way/);
    await symlink(file, join(dir, 'link'));
    await assert.rejects(clearStaleSocket(join(dir, 'link')), /a symbolic link is in the way/);
    assert.equal(await readFile(file, 'utf8'), 'keep me');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stale socket is removed, a live one is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-sock-'));
  const path = join(dir, 's.sock');
  const server = createServer();
  try {
    await new Promise<void>((resolve) => server.listen(path, resolve));
    await assert.rejects(clearStaleSocket(path), /another skiffd is already listening/);
    // A stale socket is what a daemon killed with SIGKILL leaves behind.
    const stalePath = join(dir, 'stale.sock');
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(stalePath)}, () => console.log('up'))`,
    ]);
    await once(child.stdout, 'data');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok((await stat(stalePath)).isSocket());
    await clearStaleSocket(join(dir, 'stale.sock'));
    await assert.rejects(stat(join(dir, 'stale.sock')), /ENOENT/);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
