/**
 * @module What the first word of `skiff WORD ...` means, before commander sees it: a command; an alias (run
 * through `exec`, as Multipass's parser does); `-V`/`--version` alone (Multipass's hidden option for
 * `version`); or neither, which Multipass answers with its own words on stdout.
 */
import { aliasPaths, loadAliases } from './aliases/alias-files.js';
import { aliasArgv } from './aliases/alias-run.js';
import { isCommandName } from './aliases/alias-names.js';

/** `bare`: no command at all (nor -h or -V), which Multipass answers with its help on stdout and exit 2. */
export type Resolved = { argv: string[]; bare?: boolean } | { unknown: string };

/** The argv to parse, or the word that is neither a command nor an alias. */
export async function resolveArgv(argv: readonly string[]): Promise<Resolved> {
  const index = argv.findIndex((arg) => !arg.startsWith('-'));
  if (index < 0) {
    const version = argv.findIndex((arg) => arg === '-V' || arg === '--version');
    if (version >= 0) return { argv: argv.map((arg, i) => (i === version ? 'version' : arg)) };
    return { argv: [...argv], bare: !argv.some((arg) => arg === '-h' || arg === '--help') };
  }
  // `--` ends the options: what follows is no command word.
  if (argv.slice(0, index).includes('--') || isCommandName(argv[index]!)) return { argv: [...argv] };
  const alias = aliasArgv(argv, index, await loadAliases(aliasPaths()));
  return alias ? { argv: alias } : { unknown: argv[index]! };
}
