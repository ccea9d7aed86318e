/**
 * @module `skiff exec NAME [-d DIR] -- CMD...`: stdout, stderr, stdin and the exit code passed through.
 */
import { SkiffError } from '../../core/errors.js';
import { remoteCommand } from '../../core/ssh-args.js';
import type { CliContext } from '../context.js';
import { runSsh } from './ssh-session.js';

export async function run(
  args: { name: string; command: string[]; workingDirectory?: string },
  ctx: CliContext,
): Promise<number> {
  if (args.command.length === 0)
    throw new SkiffError('invalid-argument', 'exec: give a command to run, e.g. skiff exec NAME -- ls -l');
  const info = await ctx.withDaemon((client) => client.sshInfo(args.name));
  return runSsh(info, {
    tty: process.stdin.isTTY === true && process.stdout.isTTY === true,
    command: remoteCommand(args.command, args.workingDirectory),
  });
}
