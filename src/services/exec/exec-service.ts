/**
 * @module Runs commands in instances for API clients (`skiff exec`, `shell`, `transfer`): the daemon's key
 * stays in the daemon, clients get the streams. Sessions are not limited like the daemon's own guest reads
 * (GuestShell): a long exec must never hold a slot a read-only request waits for.
 */
import { SkiffError } from '../../core/errors.js';
import type { SshTarget } from '../../core/ssh-args.js';
import type { ExecProcess, ExecSpec, GuestExecutor } from './ports.js';

/** What a client asks for (the API's ExecQuery, in the service's words). */
export interface ExecRequest {
  command?: string[];
  workingDirectory?: string;
  tty?: boolean;
  cols?: number;
  rows?: number;
  term?: string;
  subsystem?: 'sftp';
}

/** A checked request for a running instance, ready to start. */
export interface PreparedExec {
  start(): ExecProcess;
}

export interface ExecServiceDeps {
  /** The instance's SSH coordinates once it is seen really running. @throws SkiffError otherwise */
  sshTarget(name: string): Promise<SshTarget>;
  executor: GuestExecutor;
}

const DEFAULT_SIZE = { cols: 80, rows: 24 };
const DEFAULT_TERM = 'xterm';

export class ExecService {
  constructor(private readonly deps: ExecServiceDeps) {}

  /**
   * Checks `request` and that `name` runs, before anything starts (so a client gets a plain HTTP error).
   * @throws SkiffError invalid-argument naming the field; what sshTarget throws (not-found, conflict)
   */
  async prepare(name: string, request: ExecRequest): Promise<PreparedExec> {
    const spec = execSpec(request);
    const target = await this.deps.sshTarget(name);
    return { start: () => this.deps.executor.start(target, spec) };
  }
}

/** The spec for `request`. @throws SkiffError invalid-argument naming the field that is wrong */
export function execSpec(request: ExecRequest): ExecSpec {
  const bad = (message: string) => new SkiffError('invalid-argument', message);
  const argv = request.command ?? [];
  if (argv.some((word) => word.includes('\0'))) throw bad('command: a word contains a NUL byte');
  const dir = request.workingDirectory;
  if (dir !== undefined && (dir === '' || dir.includes('\0')))
    throw bad('working_directory: must be a non-empty path without NUL bytes');
  if (request.term !== undefined && !/^[A-Za-z0-9._+-]{1,64}$/.test(request.term))
    throw bad('term: letters, digits and . _ + - only, at most 64');
  if (request.subsystem !== undefined) {
    if (argv.length > 0 || dir !== undefined || request.tty)
      throw bad('subsystem: cannot be combined with command, working_directory or tty');
    return { kind: 'subsystem', name: request.subsystem };
  }
  if (!request.tty) {
    if (request.cols !== undefined || request.rows !== undefined || request.term !== undefined)
      throw bad('cols, rows, term: only with tty=true');
    if (argv.length === 0) throw bad('command: required without tty (a login shell needs a terminal)');
    return { kind: 'command', argv, ...(dir === undefined ? {} : { workingDirectory: dir }), tty: false };
  }
  return {
    kind: 'command',
    argv,
    ...(dir === undefined ? {} : { workingDirectory: dir }),
    tty: true,
    cols: request.cols ?? DEFAULT_SIZE.cols,
    rows: request.rows ?? DEFAULT_SIZE.rows,
    term: request.term ?? DEFAULT_TERM,
  };
}
