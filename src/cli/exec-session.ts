/**
 * @module Runs a command or a shell in an instance through skiffd (the exec websocket), with this process's
 * stdin, stdout and stderr. With a terminal: raw mode (keys, Ctrl-C included, go to the guest as typed) and
 * the window size follows SIGWINCH. The exit code is the command's.
 */
import type { ExecQuery } from '../api/contract.js';
import type { CliContext } from './context.js';

/** A TERM skiffd accepts (others are left to its default). */
const TERM = /^[A-Za-z0-9._+-]{1,64}$/;

/** @returns the command's exit code (255 when the guest's SSH server could not be reached, as OpenSSH). */
export async function runInInstance(
  ctx: CliContext,
  name: string,
  request: { command?: string[]; workingDirectory?: string; tty: boolean },
): Promise<number> {
  const { stdin, stdout } = process;
  const query: ExecQuery = {
    ...(request.command === undefined ? {} : { command: request.command }),
    ...(request.workingDirectory === undefined ? {} : { working_directory: request.workingDirectory }),
    tty: request.tty,
    ...(request.tty ? { cols: stdout.columns || 80, rows: stdout.rows || 24 } : {}),
    ...(request.tty && TERM.test(process.env.TERM ?? '') ? { term: process.env.TERM } : {}),
  };
  const channel = await ctx.withDaemon((client) => client.exec(name, query));
  const raw = request.tty && stdin.isTTY === true;
  const onResize = () => channel.resize(stdout.columns || 80, stdout.rows || 24);
  if (raw) stdin.setRawMode(true);
  if (request.tty) process.on('SIGWINCH', onResize);
  try {
    const code = await channel.run({ stdin, stdout, stderr: process.stderr });
    if (code === 255)
      process.stderr.write(
        'skiff: exit code 255: the command said so, or skiffd could not reach the SSH server of ' +
          `"${name}" (its own failures use that code; see the message above)\n`,
      );
    return code;
  } finally {
    if (request.tty) process.off('SIGWINCH', onResize);
    if (raw) stdin.setRawMode(false);
    // Nothing more is read: let the process exit even though stdin is still open.
    stdin.destroy();
  }
}
