/**
 * @module Multipass's fixed messages, in one place. Scripts written for Multipass match on these words, so where
 * Multipass prints a fixed message skiff's starts with exactly Multipass's text; skiff's own detail (which
 * rule was broken, what to do) comes after it. Pure: text in, text out. The sources are Multipass's
 * `src/client/cli/cmd/*.cpp` and `src/daemon/daemon.cpp` (1.17 development line).
 */

/** Multipass's launch error for a bad name (`launch.cpp`). */
export function invalidInstanceName(name: string): string {
  return `Invalid instance name supplied: ${name}`;
}

/** Multipass's `InvalidMemorySizeException`, used for memory and disk alike. */
export function invalidMemorySize(value: string): string {
  return (
    `${value} is not a valid memory size - need a non-negative integer (in base 10) ` +
    'or a decimal followed by K, M, or G (e.g. 1234B, 42MiB, 0.5G)'
  );
}

/** The daemon's reply for a name it does not know (`daemon.cpp`, every instance command). */
export function instanceMissing(name: string): string {
  return `instance "${name}" does not exist`;
}

/** `launch` (and `clone`) with a name taken, deleted instances included (`daemon.cpp`). */
export function instanceExists(name: string): string {
  return `instance "${name}" already exists`;
}

/** `start` on a deleted instance (`start.cpp`). */
export function instanceDeletedOnStart(name: string): string {
  return `Instance '${name}' is deleted. Use 'recover' to recover it or 'purge' to permanently delete it.`;
}

/** Any other command on a deleted instance (`daemon.cpp`). */
export function instanceDeleted(name: string): string {
  return `instance "${name}" is deleted`;
}

/** Multipass's settings error (`settings_exceptions.h`). */
export function unrecognizedSettingsKey(key: string): string {
  return `Unrecognized settings key: '${key}'`;
}

/** Multipass's settings error for a value a key refuses (`settings_exceptions.h`). */
export function invalidSetting(key: string, value: string, why: string): string {
  return `Invalid setting '${key}=${value}': ${why}`;
}

/** `--format` with an unknown format (`common_cli.cpp`). */
export const INVALID_FORMAT = 'Invalid format type given.';

/** A verb given neither names nor `--all` where it needs one (`common_cli.cpp`). */
export const NAME_OR_ALL_REQUIRED = 'Name argument or --all is required';

/** A verb given names and `--all` (`common_cli.cpp`). */
export function namesWithAll(count: number): string {
  return `Cannot specify name${count > 1 ? 's' : ''} when --all option set`;
}

/** A word that is neither a command nor an alias (`argparser.cpp`; Multipass prints it on stdout). */
export function unknownCommandOrAlias(word: string): string {
  return `Error: Unknown command or alias '${word}' (try "skiff help" or "skiff aliases")`;
}

/** `help WORD` for a word that is no command (`help.cpp`). */
export function unknownHelpCommand(word: string): string {
  return `Error: Unknown Command: '${word}'`;
}

/** A client the daemon does not trust (`daemon_rpc.cpp`), with skiff's name for the service and the command. */
export const NOT_AUTHENTICATED =
  "The client is not authenticated with the skiff service.\nPlease use 'skiff authenticate' before proceeding.";

/** `authenticate` while no passphrase is set (`daemon.cpp`). */
export const PASSPHRASE_NOT_SET =
  'Passphrase is not set. Please `skiff set local.passphrase` with a trusted client.';

/** `authenticate` with a wrong passphrase (`daemon.cpp`). */
export const PASSPHRASE_NOT_CORRECT = 'Passphrase is not correct. Please try again.';
