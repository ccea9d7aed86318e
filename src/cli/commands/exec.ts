/**
 * @module `skiff exec NAME [-d DIR | -n] -- CMD...`: stdout, stderr, stdin and the exit code passed through.
 * Without `-d`, the host's working directory is mapped into the guest when it lies under a mount of the
 * instance, as Multipass does (`-n` turns that off); aliases run through here too (see aliases/alias-run.ts).
 */
import { realpath } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { mappedDirectory } from '../mapped-directory.js';
import { runInInstance } from '../exec-session.js';
import { defineVerb, flag, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'exec',
  description: 'Run a command in an instance: skiff exec NAME -- CMD ARGS...',
  operands: {
    name: operand('<name>', 'the instance'),
    command: operand('<command...>', 'the command and its arguments'),
  },
  options: {
    workingDirectory: value('-d, --working-directory <dir>', 'run the command in this directory'),
    mapWorkingDirectory: flag(
      '-n, --no-map-working-directory',
      'do not map the host working directory to the mounted path in the instance',
    ),
  },
  async run(args, ctx) {
    if (args.workingDirectory !== undefined && args.mapWorkingDirectory === false)
      throw new SkiffError(
        'invalid-argument',
        'Options --working-directory and --no-map-working-directory clash',
      );
    if (args.command.length === 0)
      throw new SkiffError('invalid-argument', 'exec: give a command to run, e.g. skiff exec NAME -- ls -l');
    const directory =
      args.workingDirectory ??
      (args.mapWorkingDirectory === false ? undefined : await mapped(args.name, ctx));
    return runInInstance(ctx, args.name, {
      command: args.command,
      ...(directory === undefined ? {} : { workingDirectory: directory }),
      tty: process.stdin.isTTY === true && process.stdout.isTTY === true,
    });
  },
});

/** The guest path of the host's working directory, when a mount of `name` covers it. */
async function mapped(name: string, ctx: CliContext): Promise<string | undefined> {
  try {
    const [cwd, { mounts }] = await Promise.all([
      realpath(process.cwd()),
      ctx.withDaemon((client) => client.mounts(name)),
    ]);
    return mappedDirectory(cwd, mounts);
  } catch {
    // As in Multipass, a failure to read the mounts only means no mapping: the command still runs.
    return undefined;
  }
}
