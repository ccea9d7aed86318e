/**
 * End to end: `skiff transfer` between the host and one real instance of the test image (dropbear with
 * OpenSSH's sftp-server) under QEMU, through a real skiffd in user-mode networking and a loopback mirror.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MirrorBed } from '../harness/mirror-bed.js';
import type { SkiffDaemon } from '../harness/skiff-process.js';
import { SKIFF, type CliResult } from '../harness/skiff-process.js';

const NAME = 'xfer';
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });

/** Every file under `dir` (relative path → content), directories as `path/`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        out[`${relative(dir, path)}/`] = '';
        await walk(path);
      } else out[relative(dir, path)] = await readFile(path, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

describe('skiff transfer', { timeout: 30 * 60_000 }, () => {
  let work: string;
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;
  /** Runs skiff with stdin from `input` and stdout into `output` (files, so bytes pass untouched). */
  const skiffWithFiles = async (args: string[], input: string | null, output: string | null) => {
    const inFile = input ? await open(input, 'r') : null;
    const outFile = output ? await open(output, 'w') : null;
    try {
      const child = spawn(process.execPath, [SKIFF, ...args], {
        env: { ...process.env, NO_COLOR: '1', SKIFF_SOCKET: daemon.socket, SKIFF_NO_AUTOSTART: '1' },
        stdio: [inFile ? inFile.fd : 'ignore', outFile ? outFile.fd : 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return { code, stderr };
    } finally {
      await inFile?.close();
      await outFile?.close();
    }
  };
  const guest = async (...command: string[]) => {
    const result = await daemon.cli(['exec', NAME, '--', ...command]);
    ok(result, `exec ${command.join(' ')}`);
    return result.stdout;
  };
  const guestListing = () => guest('sh', '-c', 'find . | sort');

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-xfer-');
    work = bed.work;
    daemon = await bed.startDaemon();
    ok(
      await daemon.cli(['launch', 'noble', '-n', NAME, '-m', '512M', '-d', '2G'], { timeoutMs: 15 * 60_000 }),
      'launch',
    );
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
  });

  test('a 100 MB file both ways, checked by sha256', async () => {
    const big = join(work, 'big.bin');
    const file = await open(big, 'w');
    for (let i = 0; i < 100; i++) await file.write(randomBytes(2 ** 20));
    await file.close();
    const sum = await sha256File(big);
    ok(await daemon.cli(['transfer', big, `${NAME}:big.bin`], { timeoutMs: 10 * 60_000 }), 'push');
    assert.equal((await guest('sha256sum', 'big.bin')).split(/\s/)[0], sum);
    const back = join(work, 'big-back.bin');
    ok(await daemon.cli(['copy-files', `${NAME}:big.bin`, back], { timeoutMs: 10 * 60_000 }), 'pull');
    assert.equal(await sha256File(back), sum);
    await guest('rm', 'big.bin');
  });

  test('a directory tree with odd names, -r and -p, there and back', async () => {
    const src = join(work, 'tree');
    const names = ['plain', 'two words', "it's", 'say "hi"', '$HOME `id`', 'star*', '-dash'];
    await mkdir(join(src, 'sub dir', 'deeper'), { recursive: true });
    for (const name of names) await writeFile(join(src, name), `file ${name}\n`);
    await writeFile(join(src, 'sub dir', 'deeper', 'n.txt'), 'nested\n');
    const home = await guestListing();
    const without = await daemon.cli(['transfer', src, `${NAME}:x`]);
    assert.equal(without.code, 2);
    assert.match(without.stderr, /omitting local directory .*tree: recursive mode not specified/);
    const noParents = await daemon.cli(['transfer', '-r', src, `${NAME}:made/for/tree`]);
    assert.equal(noParents.code, 2);
    assert.match(noParents.stderr, /made\/for: No such directory \(-p makes parent directories\)/);
    assert.equal(await guestListing(), home, 'nothing was made in the guest');

    ok(await daemon.cli(['transfer', '-r', '-p', src, `${NAME}:made/for/tree`]), 'push -r -p');
    assert.equal(await guest('cat', 'made/for/tree/say "hi"'), 'file say "hi"\n');
    assert.equal(await guest('cat', 'made/for/tree/sub dir/deeper/n.txt'), 'nested\n');
    // A second copy into the existing directory lands inside it, under the source's name (as cp -r does).
    ok(await daemon.cli(['transfer', '-r', src, `${NAME}:made/for/tree`]), 'push again');
    assert.equal(await guest('cat', 'made/for/tree/tree/-dash'), 'file -dash\n');

    const back = join(work, 'back', 'deep', 'tree');
    ok(await daemon.cli(['transfer', '-r', '-p', `${NAME}:made/for/tree`, back]), 'pull -r -p');
    const expected = await tree(src);
    const got = await tree(back);
    for (const [path, content] of Object.entries(expected)) assert.equal(got[path], content, path);
    assert.equal(got['tree/star*'], 'file star*\n');
    await guest('rm', '-rf', 'made');
  });

  test('stdin into a guest file and a guest file onto stdout, byte for byte', async () => {
    const input = join(work, 'all-bytes.bin');
    const bytes = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      randomBytes(3 * 2 ** 20),
    ]);
    await writeFile(input, bytes);
    const push = await skiffWithFiles(['transfer', '-', `${NAME}:from stdin's.bin`], input, null);
    assert.equal(push.code, 0, push.stderr);
    const output = join(work, 'out.bin');
    const pull = await skiffWithFiles(['transfer', `${NAME}:from stdin's.bin`, '-'], null, output);
    assert.equal(pull.code, 0, pull.stderr);
    assert.ok((await readFile(output)).equals(bytes), 'the bytes came back unchanged');
    // Into a directory, stdin becomes Multipass's stream_output.dat.
    await guest('mkdir', 'sink');
    const intoDir = await skiffWithFiles(['transfer', '-', `${NAME}:sink`], input, null);
    assert.equal(intoDir.code, 0, intoDir.stderr);
    assert.equal(
      (await guest('sha256sum', 'sink/stream_output.dat')).split(/\s/)[0],
      createHash('sha256').update(bytes).digest('hex'),
    );
    await guest('rm', '-rf', 'sink', "from stdin's.bin");
  });

  test('several sources into a guest directory; the target must be one', async () => {
    const a = join(work, 'a.txt');
    const b = join(work, 'b c.txt');
    await writeFile(a, 'A\n');
    await writeFile(b, 'B\n');
    const notDir = await daemon.cli(['transfer', a, b, `${NAME}:multi`]);
    assert.equal(notDir.code, 2);
    assert.match(notDir.stderr, /target xfer:multi is not a directory/);
    await guest('mkdir', 'multi');
    ok(await daemon.cli(['transfer', a, b, `${NAME}:multi`]), 'two sources');
    assert.equal(await guest('cat', 'multi/a.txt', 'multi/b c.txt'), 'A\nB\n');
    await guest('rm', '-rf', 'multi');
  });

  test('bad input: a clear error, the exit code Multipass uses, nothing changed', async () => {
    const before = await guestListing();
    const local = join(work, 'bad');
    await mkdir(local);
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['transfer', join(work, 'missing'), `${NAME}:x`],
        2,
        /cannot access .*missing: No such file or directory/,
      ],
      [['transfer', `${NAME}:missing`, local], 2, /cannot access xfer:missing: No such file or directory/],
      [
        ['transfer', `${NAME}:/etc`, local],
        2,
        /omitting remote directory xfer:\/etc: recursive mode not specified/,
      ],
      [['transfer', join(work, 'a.txt'), `${NAME}:no/such/dir/x`], 2, /No such directory/],
      [['transfer', join(work, 'a.txt'), 'ghost:x'], 2, /instance "ghost" does not exist/],
      [['transfer', join(work, 'a.txt'), join(work, 'b')], 1, /An instance name is needed/],
      [['transfer', `${NAME}:a`, `${NAME}:b`], 1, /Cannot specify an instance name for both/],
      [['transfer', '-', '-'], 1, /Only one '-' allowed/],
      [['transfer', join(work, 'a.txt'), `${NAME}:new\nline`], 1, /newline/],
    ];
    for (const [args, code, message] of cases) {
      const result = await daemon.cli(args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
    assert.equal(await guestListing(), before, 'nothing changed in the guest');
    assert.deepEqual(await readdir(local), [], 'nothing changed on the host');

    ok(await daemon.cli(['stop', NAME], { timeoutMs: 5 * 60_000 }), 'stop');
    const stopped = await daemon.cli(['transfer', join(work, 'a.txt'), `${NAME}:x`]);
    assert.equal(stopped.code, 2, stopped.stderr);
    assert.match(stopped.stderr, /instance "xfer" is not running/);
  });
});
