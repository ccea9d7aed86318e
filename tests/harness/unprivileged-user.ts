/**
 * @module Real unprivileged users for security tests (root only): `useradd` with a unique name, optionally a
 * member of the group `skiff` (made here when missing), and commands run as that user through `setpriv` with
 * a clean environment. Everything made is undone by `cleanup()`, which a test calls in `after` so it runs on
 * failure too; a group this module made is removed once no test user is left in it.
 *
 * When the checkout is not readable by other users (a clone under /root), the CLI is staged into a temp
 * folder they can read: bin/skiff, dist/cli, package.json and node_modules (hard links where possible).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run, type CommandResult } from './qemu-test-vm.js';
import { REPO_ROOT } from './skiff-process.js';

const exec = promisify(execFile);

export const SKIFF_GROUP = 'skiff';

/** A user that exists until `cleanup()` of the TestUsers that made it. */
export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** A home folder (mode 0700) the user owns. */
  home: string;
  /** Runs argv as this user (real and effective ids, supplementary groups from /etc/group), cwd = home. */
  run(
    argv: readonly string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<CommandResult>;
  /** Runs `skiff ARGS` as this user against `socket` (no autostart). */
  skiff(args: readonly string[], socket: string, options?: { timeoutMs?: number }): Promise<CommandResult>;
}

/** Makes and removes test users and, when missing, the group skiff. */
export class TestUsers {
  readonly #undo: Array<() => Promise<void>> = [];
  #groupMadeHere = false;
  #skiffEntry: string | null = null;

  /** Gid of the group `skiff`, creating it when missing. */
  async ensureGroup(): Promise<number> {
    let gid = await groupId(SKIFF_GROUP);
    if (gid === null) {
      await exec('groupadd', ['--system', SKIFF_GROUP]);
      this.#groupMadeHere = true;
      gid = await groupId(SKIFF_GROUP);
    }
    if (gid === null) throw new Error(`group ${SKIFF_GROUP} could not be made`);
    return gid;
  }

  /** Adds a user (no login shell, no password) with a private home; `member` puts it in the group skiff. */
  async add(options: { member: boolean }): Promise<TestUser> {
    if (options.member) await this.ensureGroup();
    const name = `skiffsec${randomBytes(4).toString('hex')}`;
    const home = await mkdtemp(join(tmpdir(), `${name}-`));
    await exec('useradd', [
      '--no-create-home',
      '--home-dir',
      home,
      '--shell',
      '/usr/sbin/nologin',
      '--user-group',
      ...(options.member ? ['--groups', SKIFF_GROUP] : []),
      name,
    ]);
    this.#undo.push(async () => {
      await exec('userdel', [name]).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    });
    const uid = Number((await exec('id', ['-u', name])).stdout.trim());
    const gid = Number((await exec('id', ['-g', name])).stdout.trim());
    await chown(home, uid, gid);
    await chmod(home, 0o700);
    const skiffEntry = await this.#cliEntry(name);
    const runAs: TestUser['run'] = (argv, runOptions = {}) =>
      run(['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', ...argv], {
        env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...runOptions.env },
        cwd: home,
        timeoutMs: runOptions.timeoutMs,
      });
    return {
      name,
      uid,
      gid,
      home,
      run: runAs,
      skiff: (args, socket, skiffOptions = {}) =>
        runAs([process.execPath, skiffEntry, ...args], {
          env: { SKIFF_SOCKET: socket, SKIFF_NO_AUTOSTART: '1', NO_COLOR: '1' },
          timeoutMs: skiffOptions.timeoutMs,
        }),
    };
  }

  /** Removes every user made here (and their homes), the staged CLI, and the group if made here and empty. */
  async cleanup(): Promise<void> {
    for (const undo of this.#undo.reverse()) await undo().catch(() => undefined);
    this.#undo.length = 0;
    if (this.#groupMadeHere && (await groupMembers(SKIFF_GROUP)).length === 0) {
      await exec('groupdel', [SKIFF_GROUP]).catch(() => undefined);
      this.#groupMadeHere = false;
    }
  }

  /** bin/skiff of the checkout when `user` can read it, else a readable staged copy. */
  async #cliEntry(user: string): Promise<string> {
    const entry = join(REPO_ROOT, 'bin', 'skiff');
    const probe = join(REPO_ROOT, 'node_modules', 'cli-progress', 'package.json');
    const readable = await run(['setpriv', `--reuid=${user}`, '--init-groups', '--', 'test', '-r', probe]);
    if (readable.code === 0) return entry;
    this.#skiffEntry ??= await this.#stage();
    return this.#skiffEntry;
  }

  async #stage(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'skiffsec-cli-'));
    this.#undo.push(() => rm(dir, { recursive: true, force: true }));
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'dist'));
    for (const path of ['bin', 'package.json', join('dist', 'cli')])
      await cp(join(REPO_ROOT, path), join(dir, path), { recursive: true });
    // Hard links cost nothing and keep the file modes; across file systems, a copy.
    const linked = await run(['cp', '-al', join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules')]);
    if (linked.code !== 0)
      await cp(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), { recursive: true });
    return join(dir, 'bin', 'skiff');
  }
}

async function groupLine(name: string): Promise<string[] | null> {
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  return line === undefined ? null : line.split(':');
}

async function groupId(name: string): Promise<number | null> {
  const fields = await groupLine(name);
  return fields === null ? null : Number(fields[2]);
}

async function groupMembers(name: string): Promise<string[]> {
  const fields = await groupLine(name);
  return (fields?.[3] ?? '').split(',').filter(Boolean);
}
