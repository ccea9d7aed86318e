/**
 * @module `skiff` entry point: parses argv with commander, runs one command, maps errors to exit codes.
 * Commands are imported lazily so that start-up only pays for the command that runs.
 */
import { Command, CommanderError } from 'commander';
import { isSkiffError } from '../core/errors.js';
import { exitCode, setVerbosity } from './action.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { registerCatalogCommands } from './program-catalog.js';
import { registerInstanceCommands } from './program-instances.js';

const program = new Command('skiff')
  .description('Launch and manage Ubuntu VMs on QEMU (Multipass-compatible).')
  .option(
    '-v, --verbose',
    'increase logging verbosity (repeatable)',
    (_v: string, total: number) => total + 1,
    0,
  )
  .showHelpAfterError('(run "skiff help" for the list of commands)')
  .exitOverride()
  .hook('preAction', () => setVerbosity(program.opts<{ verbose: number }>().verbose ?? 0));

registerInstanceCommands(program);
registerCatalogCommands(program);

async function main(): Promise<void> {
  let code: number;
  try {
    await program.parseAsync(process.argv);
    code = exitCode();
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
