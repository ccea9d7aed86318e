/**
 * End to end: exec, shell and transfer through skiffd's exec websocket, on one instance of the test image
 * (dropbear, busybox) under QEMU: exit codes, stdin, binary output, a shell under tmux (resize, Ctrl-C),
 * transfer, the daemon's key staying in the daemon (no /ssh route), and clients that go away mid-command
 * leaving nothing running in the daemon or the guest. The same exec and transfer also run over TCP with TLS
 * (skiffd --address, an authenticated client certificate): the routes do not care which listener carries them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MirrorBed } from '../harness/mirror-bed.js';
import { freeLoopbackPort } from '../harness/qemu-test-vm.js';
import { SKIFF, sleep, type CliResult, type SkiffDaemon } from '../harness/skiff-process.js';

const run = promisify(execFile);
const NAME = 'execapi';
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Polls `check` (up to ~`tries` × 250 ms) until it holds; @returns its last answer. */
async function eventually(check: () => Promise<boolean>, tries = 120): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await sleep(250);
  }
  return check();
}

/** The command lines of every process descending from `pid`. */
async function descendants(pid: number): Promise<string[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (stat !== '') parents.set(Number(entry), ppid);
  }
  const found: string[] = [];
  for (const [child] of parents) {
    let up = parents.get(child);
    while (up !== undefined && up !== pid && up > 1) up = parents.get(up);
    if (up === pid) {
      const cmdline = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      if (cmdline !== '') found.push(cmdline.replaceAll('\0', ' '));
    }
  }
  return found;
}

describe('exec, shell and transfer through the API', { timeout: 30 * 60_000 }, () => {
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;
  let port: number;
  let clientConfig: string;
  const env = () => ({ ...process.env, NO_COLOR: '1', SKIFF_SOCKET: daemon.socket, SKIFF_NO_AUTOSTART: '1' });
  /** Runs skiff with `input` on stdin; stdout comes back as bytes. */
  const skiffBytes = (args: string[], input?: Buffer, childEnv: NodeJS.ProcessEnv = env()) =>
    new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [SKIFF, ...args], {
        env: childEnv,
        stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => out.push(c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.stdin?.end(input);
      child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    });
  const guest = async (...command: string[]) => {
    const result = await daemon.cli(['exec', NAME, '--', ...command]);
    ok(result, `exec ${command.join(' ')}`);
    return result.stdout;
  };
  const guestRuns = async (pattern: string) =>
    (await guest('sh', '-c', `ps | grep -c '[${pattern[0]}]${pattern.slice(1)}' || true`)).trim() !== '0';

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-execapi-');
    port = await freeLoopbackPort();
    clientConfig = await mkdtemp(join(tmpdir(), 'skiff-e2e-execapi-client-'));
    daemon = await bed.startDaemon(['--address', `127.0.0.1:${port}`]);
    ok(
      await daemon.cli(['launch', 'noble', '-n', NAME, '-m', '512M', '-d', '2G'], { timeoutMs: 15 * 60_000 }),
      'launch',
    );
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
    if (clientConfig) await rm(clientConfig, { recursive: true, force: true });
  });

  test('the daemon key stays in the daemon: no /ssh route; exec refuses a plain GET and names bad fields', async () => {
    assert.equal((await daemon.get(`/1.0/instances/${NAME}/ssh`)).status, 404);
    const plain = await daemon.get(`/1.0/instances/${NAME}/exec?command=true`);
    assert.equal(plain.status, 426, plain.body);
    const bad = await daemon.get(`/1.0/instances/${NAME}/exec?command=true&cols=80`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /cols, rows, term: only with tty/);
    const missing = await daemon.cli(['exec', 'nosuch', '--', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nosuch/);
  });

  test('exec: exit codes, stdin, separate stdout and stderr, argv word for word', async () => {
    assert.equal((await daemon.cli(['exec', NAME, '--', 'sh', '-c', 'exit 3'])).code, 3);
    assert.equal((await daemon.cli(['exec', NAME, '--', 'true'])).code, 0);
    const streams = await daemon.cli(['exec', NAME, '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.deepEqual([streams.stdout, streams.stderr], ['out\n', 'err\n']);
    assert.equal(await guest('printf', '%s|', 'two words', "it's", '$HOME'), "two words|it's|$HOME|");
    const input = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      randomBytes(2 ** 20),
    ]);
    const fed = await skiffBytes(['exec', NAME, '--', 'sha256sum'], input);
    assert.equal(fed.code, 0, fed.stderr);
    assert.equal(fed.stdout.toString('utf8').split(/\s/)[0], sha256(input));
  });

  test('exec: 1 MiB of random binary output arrives byte for byte', async () => {
    const result = await skiffBytes([
      'exec',
      NAME,
      '--',
      'sh',
      '-c',
      'head -c 1048576 /dev/urandom > /tmp/r.bin && sha256sum /tmp/r.bin >&2 && cat /tmp/r.bin',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.length, 1048576);
    assert.equal(sha256(result.stdout), result.stderr.split(/\s/)[0]);
  });

  test('a client killed mid-exec leaves no ssh in the daemon and no command in the guest; reads never wait', async () => {
    // More long execs than the daemon's own guest-read sessions: `info` (which reads the guest) still answers.
    // Started one after the other: the test image's dropbear drops a sixth connection still authenticating
    // from one address (MAX_UNAUTH_PER_IP 5), and under TCG five logins overlap.
    const runs: Array<ReturnType<SkiffDaemon['cliStart']>> = [];
    for (const n of [4241, 4242, 4243, 4244, 4245]) {
      runs.push(daemon.cliStart(['exec', NAME, '--', 'sleep', `${n}`]));
      assert.ok(await eventually(() => guestRuns(`sleep ${n}`)), `sleep ${n} runs in the guest`);
    }
    const info = await daemon.cli(['info', NAME]);
    ok(info, 'info while five execs run');
    assert.match(info.stdout, /Load|Memory usage|Disk usage/);
    assert.ok((await descendants(daemon.child.pid!)).some((line) => line.includes('sleep 4242')));
    for (const { child } of runs) child.kill('SIGKILL');
    await Promise.all(runs.map((r) => r.done));
    assert.ok(
      await eventually(
        async () => !(await descendants(daemon.child.pid!)).some((l) => /sleep 424\d/.test(l)),
      ),
      'no ssh left in the daemon for the killed clients',
    );
    assert.ok(await eventually(async () => !(await guestRuns('sleep 424'))), 'no command left in the guest');
  });

  test('transfer through the API: a file both ways, stdin and stdout', async () => {
    const work = bed!.work;
    const bytes = randomBytes(3 * 2 ** 20);
    await writeFile(join(work, 'up.bin'), bytes);
    ok(await daemon.cli(['transfer', join(work, 'up.bin'), `${NAME}:up.bin`]), 'push');
    assert.equal((await guest('sha256sum', 'up.bin')).split(/\s/)[0], sha256(bytes));
    ok(await daemon.cli(['transfer', `${NAME}:up.bin`, join(work, 'down.bin')]), 'pull');
    assert.equal(sha256(await readFile(join(work, 'down.bin'))), sha256(bytes));
    const pushed = await skiffBytes(['transfer', '-', `${NAME}:stdin.bin`], bytes);
    assert.equal(pushed.code, 0, pushed.stderr);
    const pulled = await skiffBytes(['transfer', `${NAME}:stdin.bin`, '-']);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(sha256(pulled.stdout), sha256(bytes));
    const missing = await daemon.cli(['transfer', `${NAME}:no-such-file`, join(work, 'x')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no-such-file: No such file or directory/);
  });

  test('shell under tmux: a terminal of the right size, resized, Ctrl-C interrupts, exit code passed', async (t) => {
    const tmux = async (...args: string[]) =>
      (await run('tmux', ['-L', `skiff-e2e-${process.pid}`, ...args])).stdout;
    const status = join(bed!.work, 'shell-status');
    const shell = [process.execPath, SKIFF, 'shell', NAME].map((w) => `'${w}'`).join(' ');
    const vars = Object.entries(env())
      .filter(([k]) => k.startsWith('SKIFF_') || k === 'NO_COLOR')
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    await tmux(
      'new-session',
      '-d',
      '-x',
      '100',
      '-y',
      '30',
      `env ${vars} ${shell}; echo $? > '${status}'; sleep 600`,
    );
    t.after(() => tmux('kill-server').catch(() => undefined));
    const screen = () => tmux('capture-pane', '-p', '-J');
    const type = async (text: string) => {
      await tmux('send-keys', '-l', text);
      await tmux('send-keys', 'Enter');
    };
    const shows = (pattern: RegExp) => eventually(async () => pattern.test(await screen()));
    await type('echo READY$((40+2))');
    assert.ok(await shows(/READY42/), `the shell answers:\n${await screen()}`);
    await type('stty size');
    assert.ok(await shows(/^30 100$/m), `30 rows, 100 columns:\n${await screen()}`);
    await tmux('resize-window', '-x', '120', '-y', '40');
    await type('clear; stty size');
    assert.ok(await shows(/^40 120$/m), `resized to 40x120:\n${await screen()}`);
    await type('sleep 4300; echo SLEPT$((1+1))');
    assert.ok(await eventually(() => guestRuns('sleep 4300')), 'sleep runs');
    await tmux('send-keys', 'C-c');
    await type('echo AFTER$((6*7))');
    assert.ok(await shows(/AFTER42/), `Ctrl-C ended sleep:\n${await screen()}`);
    assert.doesNotMatch(await screen(), /SLEPT2/);
    assert.equal(await guestRuns('sleep 4300'), false);
    await type('exit 5');
    assert.ok(
      await eventually(async () => (await readFile(status, 'utf8').catch(() => '')).trim() === '5'),
      "skiff shell exits with the shell's code",
    );
  });

  test('a terminal client that goes away leaves nothing behind either', async (t) => {
    const tmux = async (...args: string[]) =>
      (await run('tmux', ['-L', `skiff-e2e2-${process.pid}`, ...args])).stdout;
    const vars = `SKIFF_SOCKET='${daemon.socket}' SKIFF_NO_AUTOSTART=1`;
    await tmux(
      'new-session',
      '-d',
      '-x',
      '80',
      '-y',
      '24',
      `env ${vars} '${process.execPath}' '${SKIFF}' shell ${NAME}`,
    );
    t.after(() => tmux('kill-server').catch(() => undefined));
    await tmux('send-keys', '-l', 'sleep 4400');
    await tmux('send-keys', 'Enter');
    assert.ok(await eventually(() => guestRuns('sleep 4400')), 'sleep runs');
    assert.ok((await descendants(daemon.child.pid!)).some((line) => line.includes(' -tt ')));
    await tmux('kill-server'); // the terminal closes: skiff gets SIGHUP and dies
    assert.ok(
      await eventually(async () => !(await descendants(daemon.child.pid!)).some((l) => l.includes(' -tt '))),
      'no ssh left in the daemon',
    );
    assert.ok(await eventually(async () => !(await guestRuns('sleep 4400'))), 'no command left in the guest');
  });

  test('over TCP with TLS: exec (exit code, stdin, binary output), transfer and shell, after authenticate', async () => {
    const remoteEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: '1',
      SKIFF_SERVER_ADDRESS: `127.0.0.1:${port}`,
      XDG_CONFIG_HOME: clientConfig,
      SKIFF_NO_AUTOSTART: '1',
    };
    delete remoteEnv.SKIFF_SOCKET;
    const remote = (args: string[], input?: Buffer) => skiffBytes(args, input, remoteEnv);
    const refused = await remote(['exec', NAME, '--', 'true']);
    assert.equal(refused.code, 2, 'an unknown client runs nothing');
    assert.match(refused.stderr, /authenticate/);
    ok(await daemon.cli(['set', 'local.passphrase=exec over tls']), 'set passphrase');
    const auth = await remote(['authenticate', 'exec over tls']);
    assert.equal(auth.code, 0, auth.stderr);
    assert.equal((await remote(['exec', NAME, '--', 'sh', '-c', 'exit 4'])).code, 4);
    const input = randomBytes(2 ** 20);
    const fed = await remote(['exec', NAME, '--', 'sha256sum'], input);
    assert.equal(fed.code, 0, fed.stderr);
    assert.equal(fed.stdout.toString('utf8').split(/\s/)[0], sha256(input));
    const binary = await remote([
      'exec',
      NAME,
      '--',
      'sh',
      '-c',
      'head -c 1048576 /dev/urandom | tee /tmp/t.bin | sha256sum >&2',
    ]);
    assert.equal(binary.code, 0, binary.stderr);
    const random = await remote(['exec', NAME, '--', 'cat', '/tmp/t.bin']);
    assert.equal(sha256(random.stdout), binary.stderr.split(/\s/)[0]);
    const local = join(bed!.work, 'tls-up.bin');
    await writeFile(local, input);
    const push = await remote(['transfer', local, `${NAME}:tls.bin`]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await remote(['transfer', `${NAME}:tls.bin`, '-']);
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal(sha256(pull.stdout), sha256(input));

    // shell over TLS too: a terminal of the right size, and its exit code back.
    const tmux = async (...args: string[]) =>
      (await run('tmux', ['-L', `skiff-e2e3-${process.pid}`, ...args])).stdout;
    const status = join(bed!.work, 'tls-shell-status');
    const vars = `SKIFF_SERVER_ADDRESS='127.0.0.1:${port}' XDG_CONFIG_HOME='${clientConfig}' SKIFF_NO_AUTOSTART=1`;
    await tmux(
      'new-session',
      '-d',
      '-x',
      '90',
      '-y',
      '25',
      `env -u SKIFF_SOCKET ${vars} '${process.execPath}' '${SKIFF}' shell ${NAME}; echo $? > '${status}'; sleep 600`,
    );
    try {
      await tmux('send-keys', '-l', 'stty size');
      await tmux('send-keys', 'Enter');
      assert.ok(
        await eventually(async () => /^25 90$/m.test(await tmux('capture-pane', '-p', '-J'))),
        `25 rows, 90 columns over TLS:\n${await tmux('capture-pane', '-p', '-J')}`,
      );
      await tmux('send-keys', '-l', 'exit 3');
      await tmux('send-keys', 'Enter');
      assert.ok(
        await eventually(async () => (await readFile(status, 'utf8').catch(() => '')).trim() === '3'),
        "skiff shell over TLS exits with the shell's code",
      );
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
  });
});
