/**
 * @module Carries out a TransferPlan: checks every source and target (local ones as the calling user, guest
 * ones in one exec round trip through skiffd) before anything is copied, then copies with sftp (through
 * skiffd, see sftp-run.ts), or with `cat` over an exec session for stdin/stdout (no terminal: bytes pass
 * unchanged).
 */
import { access, constants, mkdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { isSkiffError, SkiffError } from '../../core/errors.js';
import { probeGuestPaths, type GuestPathKind, type OpenExec } from './guest-probe.js';
import { mkdirParents, type SftpCommand } from './sftp-batch.js';
import { runSftp } from './sftp-run.js';
import type { GuestPath, TransferPlan } from './transfer-args.js';
import { localFileBytes, readOffsetOf, showTransferProgress } from './transfer-progress.js';

export interface TransferFlags {
  recursive: boolean;
  parents: boolean;
}

export interface TransferIo {
  /** Opens an exec session in a running instance. */
  exec: OpenExec;
  /** argv of a program serving SFTP for `instance` on its stdin and stdout (for `sftp -D`). */
  sftpRelay(instance: string): string[];
  stderr: NodeJS.WriteStream;
}

/** Multipass names the file it writes from stdin into a guest directory so. */
const STREAM_FILE_NAME = 'stream_output.dat';

const fail = (code: 'not-found' | 'conflict' | 'permission-denied', message: string) =>
  new SkiffError(code, message);

/** Runs `plan`. @throws SkiffError before copying anything when a check fails. */
export async function runTransfer(plan: TransferPlan, flags: TransferFlags, io: TransferIo): Promise<void> {
  switch (plan.kind) {
    case 'push':
      return push(plan.sources, plan.target, flags, io);
    case 'pull':
      return pull(plan.sources, plan.target, flags, io);
    case 'from-stdin':
      return fromStdin(plan.target, flags, io);
    case 'to-stdout':
      return toStdout(plan.source, io);
    default: {
      const never: never = plan;
      return never;
    }
  }
}

/** Runs `use`, with Multipass's wording for an instance that is not running. */
async function inInstance<T>(instance: string, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    if (isSkiffError(error) && error.code === 'conflict')
      throw new SkiffError('conflict', `instance "${instance}" is not running (${error.message})`, {
        cause: error,
      });
    throw error;
  }
}

/** What each of `paths` is in `instance`. */
const probe = (io: TransferIo, instance: string, paths: readonly string[]) =>
  inInstance(instance, () => probeGuestPaths(io.exec, instance, paths));

async function localKind(path: string): Promise<'dir' | 'file' | 'missing' | 'other'> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw fail('permission-denied', `[sftp] cannot access ${path}: ${error.message}`);
  });
  if (!info) return 'missing';
  return info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
}

async function push(
  sources: string[],
  target: GuestPath,
  flags: TransferFlags,
  io: TransferIo,
): Promise<void> {
  const locals: Array<{ path: string; kind: 'dir' | 'file'; sizeBytes: number }> = [];
  for (const source of sources) {
    const path = resolve(source);
    const kind = await localKind(path);
    if (kind === 'missing')
      throw fail('not-found', `[sftp] cannot access ${source}: No such file or directory`);
    if (kind === 'other') throw fail('conflict', `[sftp] cannot copy ${source}: not a regular file`);
    if (kind === 'dir' && !flags.recursive)
      throw fail('conflict', `[sftp] omitting local directory ${source}: recursive mode not specified`);
    await access(path, constants.R_OK | (kind === 'dir' ? constants.X_OK : 0)).catch(() => {
      throw fail(
        'permission-denied',
        `[sftp] cannot open local ${kind === 'dir' ? 'directory' : 'file'} ${source}: permission denied`,
      );
    });
    locals.push({ path, kind, sizeBytes: (await stat(path)).size });
  }
  {
    const parent = posix.dirname(target.path);
    const [there, parentKind] = await probe(io, target.instance, [target.path, parent]);
    const mkdirs = guestTargetCheck(target, there!, parentKind!, locals.length > 1, flags, locals[0]!.kind);
    const commands: SftpCommand[] = [
      ...mkdirs,
      ...locals.map((l): SftpCommand => ({
        op: 'put',
        local: l.path,
        remote: target.path,
        recursive: l.kind === 'dir',
      })),
    ];
    const only = locals.length === 1 && locals[0]!.kind === 'file' ? locals[0]! : null;
    // sftp's descriptor links to the real path.
    const onlyReal = only ? await realpath(only.path).catch(() => only.path) : '';
    let stop = () => undefined as void;
    try {
      await runSftp(io.sftpRelay(target.instance), commands, (pid) => {
        if (only)
          stop = showTransferProgress({
            stream: io.stderr,
            label: `Transferring ${basename(only.path)}`,
            totalBytes: only.sizeBytes,
            count: readOffsetOf(pid, onlyReal),
          });
      });
    } finally {
      stop();
    }
  }
}

/** Checks a guest target; @returns the mkdir commands `-p` needs. */
function guestTargetCheck(
  target: GuestPath,
  there: GuestPathKind,
  parent: GuestPathKind,
  many: boolean,
  flags: TransferFlags,
  firstKind: 'dir' | 'file',
): SftpCommand[] {
  const shown = `${target.instance}:${target.path}`;
  if (there.kind === 'dir') return [];
  if (many) {
    if (there.kind === 'missing' && flags.parents) return mkdirParents(target.path);
    throw fail('conflict', `[sftp] target ${shown} is not a directory`);
  }
  if (there.kind === 'file' && firstKind === 'dir')
    throw fail('conflict', `[sftp] cannot overwrite non-directory ${shown} with a directory`);
  if (parent.kind === 'dir') return [];
  if (parent.kind === 'missing' && flags.parents) return mkdirParents(posix.dirname(target.path));
  throw fail(
    'not-found',
    `[sftp] cannot access ${target.instance}:${posix.dirname(target.path)}: No such directory` +
      (parent.kind === 'missing' ? ' (-p makes parent directories)' : ''),
  );
}

async function pull(
  sources: GuestPath[],
  target: string,
  flags: TransferFlags,
  io: TransferIo,
): Promise<void> {
  // Every check first, for every instance; then the copies.
  const byInstance = new Map<string, GuestPath[]>();
  for (const source of sources)
    byInstance.set(source.instance, [...(byInstance.get(source.instance) ?? []), source]);
  const local = resolve(target);
  const there = await localKind(local);
  const many = sources.length > 1;
  let makeDir: string | null = null;
  if (there !== 'dir') {
    if (many) {
      if (there !== 'missing' || !flags.parents)
        throw fail('conflict', `[sftp] target ${target} is not a directory`);
      makeDir = local;
    } else {
      const parentKind = await localKind(dirname(local));
      if (parentKind === 'missing' && flags.parents) makeDir = dirname(local);
      else if (parentKind !== 'dir')
        throw fail(
          'not-found',
          `[sftp] cannot access ${dirname(target)}: No such directory` +
            (parentKind === 'missing' ? ' (-p makes parent directories)' : ''),
        );
    }
  }
  const writable = makeDir ?? (there === 'dir' ? local : dirname(local));
  if (makeDir === null)
    await access(writable, constants.W_OK | constants.X_OK).catch(() => {
      throw fail(
        'permission-denied',
        `[sftp] cannot write to local directory ${writable}: permission denied`,
      );
    });

  const plans: Array<{ instance: string; paths: GuestPath[]; kinds: GuestPathKind[] }> = [];
  for (const [instance, paths] of byInstance) {
    const kinds = await probe(
      io,
      instance,
      paths.map((p) => p.path),
    );
    paths.forEach((p, i) => {
      const kind = kinds[i]!;
      if (kind.kind === 'missing')
        throw fail('not-found', `[sftp] cannot access ${instance}:${p.path}: No such file or directory`);
      if (kind.kind === 'dir' && !flags.recursive)
        throw fail(
          'conflict',
          `[sftp] omitting remote directory ${instance}:${p.path}: recursive mode not specified`,
        );
    });
    plans.push({ instance, paths, kinds });
  }

  if (makeDir !== null) await mkdir(makeDir, { recursive: true });
  for (const { instance, paths, kinds } of plans) {
    {
      const commands = paths.map((p, i): SftpCommand => ({
        op: 'get',
        remote: p.path,
        local,
        recursive: kinds[i]!.kind === 'dir',
      }));
      const single = !many && kinds[0]!.kind === 'file' ? kinds[0]! : null;
      const written = there === 'dir' ? resolve(local, posix.basename(paths[0]!.path)) : local;
      const stop =
        single?.kind === 'file' && single.sizeBytes !== null
          ? showTransferProgress({
              stream: io.stderr,
              label: `Transferring ${posix.basename(paths[0]!.path)}`,
              totalBytes: single.sizeBytes,
              count: localFileBytes(written),
            })
          : () => undefined;
      try {
        await runSftp(io.sftpRelay(instance), commands);
      } finally {
        stop();
      }
    }
  }
}

async function fromStdin(target: GuestPath, flags: TransferFlags, io: TransferIo): Promise<void> {
  const parent = posix.dirname(target.path);
  const [there, parentKind] = await probe(io, target.instance, [target.path, parent]);
  const mkdirs = guestTargetCheck(target, there!, parentKind!, false, flags, 'file');
  const path = there!.kind === 'dir' ? posix.join(target.path, STREAM_FILE_NAME) : target.path;
  // Paths travel as arguments, never as script text.
  const argv =
    mkdirs.length > 0
      ? ['sh', '-c', 'mkdir -p -- "$1" && cat > "$2"', 'sh', parent, path]
      : ['sh', '-c', 'cat > "$1"', 'sh', path];
  await streamInGuest(io, target.instance, argv, 'writing stdin to the guest', process.stdin);
}

async function toStdout(source: GuestPath, io: TransferIo): Promise<void> {
  const [kind] = await probe(io, source.instance, [source.path]);
  const shown = `${source.instance}:${source.path}`;
  if (kind!.kind === 'missing')
    throw fail('not-found', `[sftp] cannot access ${shown}: No such file or directory`);
  if (kind!.kind === 'dir')
    throw fail('conflict', `[sftp] cannot open remote file ${shown}: it is a directory`);
  await streamInGuest(
    io,
    source.instance,
    ['sh', '-c', 'cat < "$1"', 'sh', source.path],
    'reading the guest file',
    null,
  );
}

/** Runs `argv` in the guest with `stdin` as its input and skiff's stdout and stderr as its output. */
async function streamInGuest(
  io: TransferIo,
  instance: string,
  argv: string[],
  what: string,
  stdin: Readable | null,
): Promise<void> {
  const channel = await inInstance(instance, () => io.exec(instance, { command: argv }));
  const code = await channel.run({ stdin, stdout: process.stdout, stderr: process.stderr });
  if (stdin === process.stdin) process.stdin.destroy(); // read no further, so skiff can exit
  if (code !== 0) throw new SkiffError('internal', `[sftp] ${what} failed (exit ${code})`);
}
