/**
 * @module `skiff exec NAME [-d DIR] -- CMD...`: stdout, stderr, stdin and the exit code passed through.
 */
import { SkiffError } from '../../core/errors.js';
import { remoteCommand } from '../../core/ssh-args.js';
import { runSsh } from '../ssh-session.js';
import { defineVerb, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'exec',
  description: 'Run a command in an instance: skiff exec NAME -- CMD ARGS...',
  operands: {
    name: operand('<name>', 'the instance'),
    command: operand('<command...>', 'the command and its arguments'),
  },
  options: { workingDirectory: value('-d, --working-directory <dir>', 'run the command in this directory') },
  async run(args, ctx) {
    if (args.command.length === 0)
      throw new SkiffError('invalid-argument', 'exec: give a command to run, e.g. skiff exec NAME -- ls -l');
    const info = await ctx.withDaemon((client) => client.sshInfo(args.name));
    return runSsh(info, {
      tty: process.stdin.isTTY === true && process.stdout.isTTY === true,
      command: remoteCommand(args.command, args.workingDirectory),
    });
  },
});
