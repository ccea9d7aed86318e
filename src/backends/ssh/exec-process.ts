/**
 * @module GuestExecutor over the OpenSSH client. Without a terminal, ssh runs with pipes and the command
 * under the guest-side watcher (core/guest-exec.ts). With one, ssh must have a terminal of its own for the
 * remote PTY to get a size and later window changes: util-linux `script` gives it a host PTY (no native
 * module needed), sized by `stty` before ssh starts; a resize is `stty -F` on that PTY, whose SIGWINCH makes
 * ssh send the guest the new size, exactly as for an interactive ssh.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { terminalCommand, watchedCommand } from '../../core/guest-exec.js';
import { SSH_BINARY, shellJoin, sshSessionArgs, type SshTarget } from '../../core/ssh-args.js';
import type { ExecProcess, ExecSpec, GuestExecutor } from '../../services/exec/ports.js';

const SCRIPT_BINARY = 'script';
const STTY_BINARY = 'stty';

export class OpenSshExecutor implements GuestExecutor {
  start(target: SshTarget, spec: ExecSpec): ExecProcess {
    // Connecting can take a while under load; ServerAlive (ssh-args) bounds a dead guest afterwards.
    const options = { connectTimeoutSec: 30 };
    if (spec.kind === 'subsystem')
      return pipeSession(spawn(SSH_BINARY, sshSessionArgs(target, { subsystem: spec.name }, options)));
    if (!spec.tty) {
      const command = watchedCommand(spec.argv, spec.workingDirectory);
      return pipeSession(spawn(SSH_BINARY, sshSessionArgs(target, { command, tty: false }, options)));
    }
    const command = terminalCommand(spec.argv, spec.workingDirectory);
    const ssh = shellJoin([SSH_BINARY, ...sshSessionArgs(target, { command, tty: true }, options)]);
    // Only the size: ssh sends the guest this terminal's modes, so they must be a terminal's usual ones (a raw
    // one here would leave the guest's shell without Ctrl-C and echo while a command runs); ssh makes its
    // own side raw once connected.
    const inner = `${STTY_BINARY} cols ${spec.cols} rows ${spec.rows} && exec ${ssh}`;
    const child = spawn(SCRIPT_BINARY, ['-q', '-e', '-c', inner, '/dev/null'], {
      // ssh asks the guest for a terminal of type TERM.
      env: { ...process.env, SHELL: '/bin/sh', TERM: spec.term },
    });
    return terminalSession(child);
  }
}

/** The exit code of a process that closed with `code` or died of `signal`. */
const exitCode = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 255);

/** Resolves with the exit code once the process and its pipes closed; 255 (with a message) if it never ran. */
function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('error', (error) => {
      child.stderr?.emit('data', Buffer.from(`skiffd: cannot run ${child.spawnfile}: ${error.message}\n`));
      resolve(255);
    });
    child.once('close', (code, signal) => resolve(exitCode(code, signal)));
  });
}

function pipeSession(child: ChildProcess): ExecProcess {
  child.stdin!.on('error', () => undefined); // the command may exit without reading all its input
  return {
    stdin: child.stdin!,
    stdout: child.stdout!,
    stderr: child.stderr!,
    resize: () => Promise.resolve(),
    kill: () => void child.kill('SIGKILL'),
    exited: exited(child),
  };
}

function terminalSession(script: ChildProcess): ExecProcess {
  script.stdin!.on('error', () => undefined);
  return {
    stdin: script.stdin!,
    stdout: script.stdout!,
    stderr: script.stderr!,
    async resize(cols, rows) {
      const tty = await terminalOf(script.pid);
      if (tty === null) return; // not started yet, or already gone
      await new Promise<void>((resolve) => {
        spawn(STTY_BINARY, ['-F', tty, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' })
          .once('error', () => resolve())
          .once('close', () => resolve());
      });
    },
    kill() {
      // ssh leads its own session under script: killing script hangs up its PTY, which ends ssh; ssh is
      // killed too rather than counted on. Its pid is read first: a dead script has no children to list.
      void childrenOf(script.pid).then((children) => {
        script.kill('SIGKILL');
        for (const child of children) {
          try {
            process.kill(child, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      });
    },
    exited: exited(script),
  };
}

/** The pids of the children of `pid` (Linux /proc); empty when unknown. */
async function childrenOf(pid: number | undefined): Promise<number[]> {
  if (pid === undefined) return [];
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number);
}

/** The PTY script made for its child (ssh): the terminal on the child's stdin. */
async function terminalOf(scriptPid: number | undefined): Promise<string | null> {
  const [child] = await childrenOf(scriptPid);
  if (child === undefined) return null;
  const path = await readlink(`/proc/${child}/fd/0`).catch(() => null);
  return path?.startsWith('/dev/pts/') ? path : null;
}
