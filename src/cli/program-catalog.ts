/**
 * @module Commands about images, remotes, settings and mirrors.
 */
import type { Command } from 'commander';
import { action, formatOption } from './action.js';

export function registerCatalogCommands(program: Command): void {
  program
    .command('find')
    .description('Display available images to create instances from')
    .argument(
      '[string]',
      'an alias, release, or image id prefix, optionally prefixed by a remote ("daily:noble")',
    )
    .option('--show-unsupported', 'show unsupported images as well')
    .option(
      '--force-update',
      'refresh the image catalogs now (failures are reported; the last good catalog is kept)',
    )
    .option('--timeout <seconds>', 'how long to wait for a missing catalog (default 60)')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/find.js'),
        (query?: string, opts?: Record<string, unknown>) => ({ query, ...opts }),
      ),
    );

  program
    .command('remotes')
    .description('Show image remotes and the state of their catalogs (never triggers a fetch)')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/remotes.js'),
        (opts: { format?: string }) => opts,
      ),
    );

  program
    .command('wait-ready')
    .description('Wait until the daemon is up and every remote has a usable image catalog')
    .option('--timeout <seconds>', 'give up after this many seconds (exit code 5; default 300)')
    .action(
      action(
        () => import('./commands/wait-ready.js'),
        (opts: { timeout?: string }) => opts,
      ),
    );

  program
    .command('get')
    .description('Get a configuration setting (all settings without KEY)')
    .argument('[key]', 'the setting key, e.g. local.image.mirror')
    .option('--keys', 'list the available setting keys')
    .option('--raw', 'print an empty value as nothing instead of <empty>')
    .action(
      action(
        () => import('./commands/get.js'),
        (key?: string, opts?: { keys?: boolean; raw?: boolean }) => ({ key, ...opts }),
      ),
    );

  program
    .command('set')
    .description('Set a configuration setting')
    .argument('<key=value>', 'e.g. local.image.mirror=http://127.0.0.1:8080/')
    .action(
      action(
        () => import('./commands/set.js'),
        (assignment: string) => ({ assignment }),
      ),
    );

  const mirror = program
    .command('mirror')
    .description('Publish images as a simplestreams mirror (for air-gapped hosts and local.image.mirror)');

  mirror
    .command('build')
    .description('Add an image to the simplestreams tree in DIR (creates it when absent)')
    .argument('<dir>', 'the mirror tree (holds releases/ and daily/)')
    .requiredOption('--image <file>', 'the disk image to publish')
    .requiredOption('--release <codename>', 'release codename, e.g. noble')
    .requiredOption('--version <NN.NN>', 'release number, e.g. 24.04')
    .requiredOption('--aliases <a,b,...>', 'aliases, e.g. noble,24.04,lts (they move to the newest version)')
    .option('--title <title>', 'release title (default: the version)')
    .option('--os <name>', 'OS name (default ubuntu)')
    .option('--arch <arch>', "architecture (default: the host's)")
    .option('--serial <YYYYMMDD[.N]>', 'version serial (default: today, then .1, .2 ...)')
    .option('--stream <stream>', 'releases or daily (default releases)')
    .option('--unsupported', 'mark the product unsupported')
    .action(
      action(
        async () => ({ run: (await import('./commands/mirror.js')).runBuild }),
        (dir: string, opts: Record<string, unknown>) => ({ dir, ...opts }),
      ),
    );

  mirror
    .command('serve')
    .description('Serve the tree in DIR over HTTP (Range, ETag, Last-Modified)')
    .argument('<dir>', 'the mirror tree')
    .option('--listen <addr:port>', 'where to listen (default 127.0.0.1:8080)')
    .action(
      action(
        async () => ({ run: (await import('./commands/mirror.js')).runServe }),
        (dir: string, opts: { listen?: string }) => ({ dir, ...opts }),
      ),
    );

  program
    .command('version')
    .description('Show version details')
    .addOption(formatOption())
    .action(
      action(
        () => import('./commands/version.js'),
        (opts: { format?: string }) => opts,
      ),
    );
}
