import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountCommand, mountedTest, shellQuote, umountCommand } from './guest-commands.js';

/** Runs a line with a real sh; `mounts` replaces /proc/mounts when given. @returns the exit code */
async function sh(line: string, mounts?: string): Promise<number> {
  const script = mounts === undefined ? line : line.replaceAll('/proc/mounts', shellQuote(mounts));
  return new Promise((resolve) =>
    execFile('sh', ['-c', script], (error) => resolve(error === null ? 0 : Number(error.code ?? -1))),
  );
}

test('mountedTest reads the mount table: /proc is mounted, a made-up path is not', async () => {
  assert.equal(await sh(mountedTest('/proc')), 0);
  assert.equal(await sh(mountedTest('/no/such/mount')), 1);
});

test('paths with spaces, tabs, backslashes and quotes match /proc/mounts escapes; nothing runs from them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-guest-cmd-'));
  try {
    const table = join(dir, 'mounts');
    await writeFile(
      table,
      "skiff-a /home/ubuntu/my\\040dir virtiofs rw 0 0\nskiff-b /x\\011y\\134z 9p rw 0 0\nskiff-c /q'uote virtiofs rw 0 0\n",
    );
    assert.equal(await sh(mountedTest('/home/ubuntu/my dir'), table), 0);
    assert.equal(await sh(mountedTest('/home/ubuntu/my'), table), 1);
    assert.equal(await sh(mountedTest('/x\ty\\z'), table), 0);
    assert.equal(await sh(mountedTest("/q'uote"), table), 0);
    const marker = join(dir, 'pwned');
    assert.equal(await sh(mountedTest(`/a'; touch ${marker}; '`), table), 1);
    await assert.rejects(stat(marker), 'nothing ran from the path');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('mount and umount lines: idempotent forms with the transport options', () => {
  assert.match(
    mountCommand('virtiofs', 'skiff-a', '/src'),
    /^sudo mkdir -p '\/src' && \{ awk .* \|\| sudo mount -t virtiofs 'skiff-a' '\/src'; \}$/,
  );
  assert.match(
    mountCommand('9p', 'skiff-a', '/src'),
    /sudo mount -t 9p -o trans=virtio,version=9p2000\.L,msize=262144 'skiff-a' '\/src'/,
  );
  assert.match(umountCommand('/src'), /^! awk .* \|\| sudo umount '\/src'$/);
});
