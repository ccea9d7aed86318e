/**
 * End to end: Multipass's aliases, on one real instance of the test image under QEMU through a real skiffd
 * (user-mode networking, loopback mirror). The alias scripts are run as a user runs them (from their
 * directory, in a shell's working directory): arguments and exit codes pass through, the host's working
 * directory is mapped into the guest under a mount (and not with -n); listing, contexts, removal, refusals in
 * Multipass's words with nothing written; bash completion offers the instance's name from the real daemon; and
 * `delete --purge` takes the instance's aliases and scripts with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorBed } from '../harness/mirror-bed.js';
import { SKIFF, type CliResult, type SkiffDaemon } from '../harness/skiff-process.js';

const NAME = 'aliased';
const ok = (result: CliResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

describe('skiff alias', { timeout: 30 * 60_000 }, () => {
  let bed: MirrorBed | undefined;
  let daemon: SkiffDaemon;
  let share: string;
  let env: NodeJS.ProcessEnv;
  let scriptsDir: string;

  /** skiff with this test's alias home. */
  const skiff = (args: string[]) => daemon.cli(args, { env });
  /** A program (an alias script, bash) run as a user runs it: in `cwd`, with the test's environment. */
  const run = (argv: string[], cwd: string): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env: { ...process.env, NO_COLOR: '1', SKIFF_SOCKET: daemon.socket, SKIFF_NO_AUTOSTART: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject).on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const scripts = async () => (await readdir(scriptsDir).catch(() => [])).sort();
  const aliasesJson = async () =>
    JSON.parse((await skiff(['aliases', '--format', 'json'])).stdout) as {
      'active-context': string;
      contexts: Record<
        string,
        Record<string, { instance: string; command: string; 'working-directory': string }>
      >;
    };

  before(async () => {
    bed = await MirrorBed.start('skiff-e2e-alias-');
    share = join(bed.work, 'share');
    await mkdir(join(share, 'sub'), { recursive: true });
    scriptsDir = join(bed.work, 'xdg-data', 'skiff', 'bin');
    // A `skiff` on PATH for the completion script, as an installed one would be.
    const path = join(bed.work, 'path');
    await mkdir(path);
    await symlink(SKIFF, join(path, 'skiff'));
    env = {
      XDG_CONFIG_HOME: join(bed.work, 'xdg-config'),
      XDG_DATA_HOME: join(bed.work, 'xdg-data'),
      PATH: `${path}:${process.env.PATH ?? ''}`,
    };
    daemon = await bed.startDaemon();
    ok(
      await daemon.cli(
        ['launch', 'noble', '-n', NAME, '-m', '512M', '-d', '2G', '--mount', `${share}:/share`],
        {
          timeoutMs: 15 * 60_000,
        },
      ),
      'launch',
    );
  });

  after(async () => {
    await bed?.stop(daemon, [NAME]);
  });

  test('refused in Multipass words, before anything is written', async () => {
    const cases: Array<[string[], string]> = [
      [['alias', 'nope:ls'], "Instance 'nope' does not exist"],
      [['alias', `${NAME}:ls`, 'list'], "Alias name 'list' clashes with a command name"],
      [['alias', `${NAME}:ls`, 'a/b'], 'Alias has to be a valid filename'],
      [['alias', `${NAME}:`], 'No command given'],
      [['alias', ':ls'], 'No instance name given'],
      [['unalias', 'nope'], 'Nonexistent alias: nope.'],
      [['unalias'], 'Name argument or --all is required'],
    ];
    for (const [args, words] of cases) {
      const result = await skiff(args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.ok(result.stderr.startsWith(words), `${args.join(' ')}: ${result.stderr}`);
    }
    assert.deepEqual(await scripts(), []);
    assert.equal((await skiff(['aliases'])).stdout, 'No aliases defined.\n');
  });

  test('an alias script passes arguments word for word and the exit code back', async () => {
    const made = await skiff(['alias', `${NAME}:sh`, 'gsh']);
    ok(made, 'alias');
    assert.match(made.stdout, /PATH="\$PATH:.*xdg-data\/skiff\/bin"/, 'says how to put the scripts on PATH');
    assert.deepEqual(await scripts(), ['default.gsh', 'gsh']);
    const result = await run(
      [join(scriptsDir, 'gsh'), '-c', 'printf "[%s]" "$@"; exit 7', 'zero', 'a b', "it's", '$HOME'],
      bed!.work,
    );
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.stdout, "[a b][it's][$HOME]");
    // The same alias through skiff itself, and by its qualified name.
    const direct = await skiff(['gsh', '--', '-c', 'echo direct; exit 3']);
    assert.deepEqual([direct.code, direct.stdout], [3, 'direct\n']);
    assert.equal((await skiff(['default.gsh', '--', '-c', 'exit 0'])).code, 0);
  });

  test('the working directory is mapped under a mount, and not with -n', async () => {
    ok(await skiff(['alias', `${NAME}:pwd`]), 'alias pwd');
    ok(await skiff(['alias', `${NAME}:pwd`, 'homepwd', '--no-map-working-directory']), 'alias -n');
    const inShare = join(share, 'sub');
    assert.equal((await run([join(scriptsDir, 'pwd')], inShare)).stdout, '/share/sub\n');
    assert.equal((await run([join(scriptsDir, 'homepwd')], inShare)).stdout, '/home/ubuntu\n');
    assert.equal(
      (await run([join(scriptsDir, 'pwd')], bed!.work)).stdout,
      '/home/ubuntu\n',
      'outside any mount',
    );
    const json = await aliasesJson();
    assert.deepEqual(json.contexts.default?.pwd, {
      instance: NAME,
      command: 'pwd',
      'working-directory': 'map',
    });
    assert.equal(json.contexts.default?.homepwd?.['working-directory'], 'default');
  });

  test('contexts: prefer switches, the table stars the active one, unalias removes alias and scripts', async () => {
    ok(await skiff(['prefer', 'work']), 'prefer');
    ok(await skiff(['alias', `${NAME}:pwd`]), 'pwd in work');
    assert.deepEqual(await scripts(), [
      'default.gsh',
      'default.homepwd',
      'default.pwd',
      'gsh',
      'homepwd',
      'work.pwd',
    ]);
    const table = (await skiff(['aliases'])).stdout;
    assert.match(table, /^Alias +Instance +Command +Context +Working directory\n/);
    assert.match(table, new RegExp(`\\npwd +${NAME} +pwd +work\\* +map\\n`));
    assert.match(table, new RegExp(`\\npwd +${NAME} +pwd +default +map\\n`));
    const csv = (await skiff(['aliases', '--format', 'csv'])).stdout.split('\n');
    assert.equal(csv[0], 'Alias,Instance,Command,Working directory,Context');
    ok(await skiff(['unalias', 'pwd']), 'unalias the active one');
    assert.deepEqual(await scripts(), [
      'default.gsh',
      'default.homepwd',
      'default.pwd',
      'gsh',
      'homepwd',
      'pwd',
    ]);
    ok(await skiff(['prefer', 'default']), 'back to default');
    ok(await skiff(['unalias', 'gsh']), 'unalias gsh');
    assert.equal((await aliasesJson()).contexts.default?.gsh, undefined);
    assert.deepEqual(await scripts(), ['default.homepwd', 'default.pwd', 'homepwd', 'pwd']);
  });

  test('bash completion offers commands, flags and the instance, asked of the daemon', async () => {
    const complete = async (words: string[]) => {
      const script = [
        'source <(skiff completion bash)',
        `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
        `COMP_CWORD=${words.length - 1}`,
        '_skiff',
        'printf "%s\\n" "${COMPREPLY[@]}"',
      ].join('\n');
      const result = await run(['bash', '-c', script], bed!.work);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.split('\n').filter((w) => w !== '');
    };
    assert.deepEqual(await complete(['skiff', 'ali']), ['alias', 'aliases']);
    assert.deepEqual(await complete(['skiff', 'start', '']), [NAME]);
    assert.deepEqual(await complete(['skiff', 'info', 'ali']), [NAME]);
    assert.deepEqual(await complete(['skiff', 'alias', '']), [`${NAME}:`]);
    assert.ok((await complete(['skiff', 'exec', '--'])).includes('--no-map-working-directory'));
    assert.deepEqual(await complete(['skiff', 'help', 'unal']), ['unalias']);
  });

  test('delete --purge removes the instance with its aliases and their scripts', async () => {
    ok(await skiff(['delete', '--purge', NAME]), 'delete --purge');
    assert.deepEqual((await aliasesJson()).contexts, { default: {} });
    assert.deepEqual(await scripts(), []);
  });
});
