/**
 * @module Commands about instances: launch, list, info, lifecycle, exec and shell.
 */
import type { Command } from 'commander';
import type { InstanceAction } from '../api/contract.js';
import { action, formatOption } from './action.js';
import type { LifecycleArgs } from './commands/lifecycle.js';

type Opts = Record<string, unknown>;

function lifecycle(
  program: Command,
  verb: InstanceAction,
  description: string,
  extra: (c: Command) => Command = (c) => c,
): void {
  extra(
    program
      .command(verb)
      .description(description)
      .argument('[names...]', 'instance names (default: the primary instance)')
      .option('--all', 'act on every instance'),
  ).action(
    action(
      async () => ({ run: (await import('./commands/lifecycle.js')).action(verb) }),
      (names: string[], opts: Opts): LifecycleArgs => ({ names, ...opts }),
    ),
  );
}

export function registerInstanceCommands(program: Command): void {
  program
    .command('launch')
    .description('Create and start an Ubuntu instance')
    .argument(
      '[image]',
      'alias, release or id prefix ([remote:]image), http(s):// URL or file:// path (default: the LTS)',
    )
    .option('-n, --name <name>', 'instance name (default: a generated one)')
    .option('-c, --cpus <cpus>', 'number of CPUs (default 1)')
    .option('-m, --memory <size>', 'memory, with units (default 1G, minimum 512M)')
    .option('-d, --disk <size>', 'disk size, with units (default 5G, minimum 1G)')
    .option('--cloud-init <file>', 'user cloud-config: a file, a URL, or - for stdin')
    .option('--timeout <seconds>', 'give up after this long (default 600)')
    .action(
      action(
        () => import('./commands/launch.js'),
        (image: string | undefined, opts: Opts) => ({ image, ...opts }),
      ),
    );

  program
    .command('list')
    .alias('ls')
    .description('List instances')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/list.js'),
        (opts: Opts) => opts,
      ),
    );

  program
    .command('info')
    .description('Show instance details')
    .argument('[names...]', 'instance names (default: all)')
    .option('--all', 'every instance')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/info.js'),
        (names: string[], opts: Opts) => ({ names, ...opts }),
      ),
    );

  const bootTimeout = (c: Command) =>
    c.option('--timeout <seconds>', 'give up waiting for the guest after this long (default 300)');
  lifecycle(program, 'start', 'Start instances', bootTimeout);
  lifecycle(program, 'stop', 'Stop instances', (c) =>
    c
      .option('-t, --time <minutes>', 'shut down after this many minutes (state: Delayed Shutdown)')
      .option('-c, --cancel', 'cancel a delayed shutdown')
      .option('--force', 'power off at once (and discard a suspended state)'),
  );
  lifecycle(program, 'restart', 'Restart instances', bootTimeout);
  lifecycle(program, 'suspend', 'Suspend instances (save their state to disk)');
  lifecycle(program, 'recover', 'Recover deleted instances');

  program
    .command('delete')
    .description('Delete instances (recoverable until purged)')
    .argument('[names...]', 'instance names')
    .option('--all', 'every instance')
    .option('-p, --purge', 'remove at once, with the disk (not recoverable)')
    .action(
      action(
        async () => ({ run: (await import('./commands/lifecycle.js')).runDelete }),
        (names: string[], opts: Opts): LifecycleArgs => ({ names, ...opts }),
      ),
    );

  program
    .command('purge')
    .description('Remove every deleted instance for good')
    .action(
      action(
        async () => ({ run: (await import('./commands/lifecycle.js')).runPurge }),
        () => ({}),
      ),
    );

  program
    .command('exec')
    .description('Run a command in an instance: skiff exec NAME -- CMD ARGS...')
    .argument('<name>', 'the instance')
    .argument('<command...>', 'the command and its arguments')
    .option('-d, --working-directory <dir>', 'run the command in this directory')
    .action(
      action(
        () => import('./commands/exec.js'),
        (name: string, command: string[], opts: Opts) => ({
          name,
          command,
          workingDirectory: opts.workingDirectory as string | undefined,
        }),
      ),
    );

  program
    .command('images')
    .description('List the image cache: size, age, and the instances using each image')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/images.js'),
        (opts: Opts) => opts,
      ),
    );

  program
    .command('shell')
    .aliases(['sh', 'connect'])
    .description('Open a shell in an instance (the primary one is started or launched as needed)')
    .argument('[name]', 'the instance (default: the primary instance)')
    .option('--timeout <seconds>', 'give up starting after this long')
    .action(
      action(
        () => import('./commands/shell.js'),
        (name: string | undefined, opts: Opts) => ({ name, ...opts }),
      ),
    );
}
