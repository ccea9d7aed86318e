/**
 * @module `skiff` entry point: parses argv with commander, runs one command, maps errors to exit codes.
 * Only the verb argv names is loaded (see verbs.ts), so start-up pays for that command alone.
 */
import { Command, CommanderError } from 'commander';
import { isSkiffError } from '../core/errors.js';
import { unknownCommandOrAlias } from '../core/messages.js';
import { resolveArgv } from './command-word.js';
import { createContext } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { configureHelp } from './help.js';
import type { Invoke } from './verb.js';
import { verbsFor } from './verbs.js';

async function main(): Promise<void> {
  let verbosity = 0;
  let code: number = EXIT.ok;
  const program = new Command('skiff');
  configureHelp(program);
  program
    .option(
      '-v, --verbose',
      'increase logging verbosity (repeatable)',
      (_v: string, total: number) => total + 1,
      0,
    )
    .showHelpAfterError('(run "skiff help" for the list of commands)')
    .exitOverride()
    .hook('preAction', () => {
      verbosity = program.opts<{ verbose: number }>().verbose ?? 0;
    });
  const invoke: Invoke = async (body) => {
    code = await body(createContext(verbosity));
  };
  try {
    const resolved = await resolveArgv(process.argv.slice(2));
    if ('unknown' in resolved) {
      // Multipass prints this on stdout.
      process.stdout.write(`${unknownCommandOrAlias(resolved.unknown)}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    for (const verb of await verbsFor(resolved.argv)) verb.register(program, invoke);
    if (resolved.bare) {
      process.stdout.write(program.helpInformation());
      process.exitCode = EXIT.failed;
      return;
    }
    await program.parseAsync(resolved.argv, { from: 'user' });
  } catch (error) {
    code = report(error);
  }
  process.exitCode = code;
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed the message; help and version are successes.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (isSkiffError(error)) {
    process.stderr.write(`${error.message}\n`);
    return exitCodeFor(error.code);
  }
  process.stderr.write(
    `skiff: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failed;
}

void main();
