/**
 * @module Pure: running an alias. `skiff ALIAS [--] ARGS...` (what each alias script runs) becomes
 * `skiff exec [-n] INSTANCE -- COMMAND... ARGS...`, as Multipass's argument parser turns an alias into `exec`
 * (`src/client/cli/argparser.cpp`). The alias's command is split at spaces (`inst:"ls -l"` gives `ls`, `-l`);
 * the arguments pass through word for word. `-n` keeps the guest's default directory for aliases made with
 * `--no-map-working-directory`; otherwise exec maps the host's working directory when a mount covers it.
 */
import { findAlias, type AliasDict } from './alias-dict.js';

/** The argv running alias `argv[index]`, or undefined when that word is no alias. */
export function aliasArgv(argv: readonly string[], index: number, dict: AliasDict): string[] | undefined {
  const word = argv[index];
  if (word === undefined) return undefined;
  const alias = findAlias(dict, word);
  if (!alias) return undefined;
  const rest = argv.slice(index + 1);
  if (rest[0] === '--') rest.shift();
  const command = alias.command.split(/\s+/).filter((w) => w !== '');
  return [
    ...argv.slice(0, index),
    'exec',
    ...(alias['working-directory'] === 'default' ? ['--no-map-working-directory'] : []),
    alias.instance,
    '--',
    ...command,
    ...rest,
  ];
}
