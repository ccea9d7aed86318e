/**
 * @module What the exec service consumes: where an instance's SSH server is, and something that starts a
 * session there (the OpenSSH client with the daemon's key, in backends/ssh/exec-process.ts).
 */
import type { Readable, Writable } from 'node:stream';
import type { SshTarget } from '../../core/ssh-args.js';

/** One session to start: a command (or the login shell when `argv` is empty), or a subsystem. */
export type ExecSpec =
  | { kind: 'command'; argv: string[]; workingDirectory?: string; tty: false }
  | {
      kind: 'command';
      argv: string[];
      workingDirectory?: string;
      tty: true;
      cols: number;
      rows: number;
      term: string;
    }
  | { kind: 'subsystem'; name: 'sftp' };

/** A running session. Its streams are raw bytes; with a terminal, stderr stays empty (the PTY merges it). */
export interface ExecProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Sizes the terminal (tty sessions; a no-op otherwise). Never throws. */
  resize(cols: number, rows: number): Promise<void>;
  /** Ends the session now, leaving nothing running on the host (the guest side follows, see guest-exec.ts). */
  kill(): void;
  /** The command's exit code, once every byte of its output was read (255: ssh itself failed). */
  exited: Promise<number>;
}

/** Starts exec sessions in guests. */
export interface GuestExecutor {
  start(target: SshTarget, spec: ExecSpec): ExecProcess;
}
