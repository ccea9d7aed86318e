/**
 * @module Which alias names are allowed: a file name (Multipass: "Alias has to be a valid filename") that no
 * command already has (Multipass: "Alias name 'X' clashes with a command name").
 */
import { SkiffError } from '../../core/errors.js';
import { VERBS } from '../verbs.js';

/** Words main.ts answers itself, beside the verbs. */
const BUILT_IN = ['help'];

/** Whether `name` is a command or one of a command's other names. */
export function isCommandName(name: string): boolean {
  return BUILT_IN.includes(name) || VERBS.some((v) => v.name === name || (v.aliases ?? []).includes(name));
}

/**
 * @throws SkiffError('invalid-argument') for a name that cannot be a script file, or that the shell or skiff
 * would read as something else (an option, a path, blank).
 */
export function checkAliasName(name: string): void {
  const control = [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  const bad =
    name === '' || name === '.' || name === '..' || /[/\s]/.test(name) || name.startsWith('-') || control;
  if (bad)
    throw new SkiffError(
      'invalid-argument',
      `Alias has to be a valid filename (${JSON.stringify(name)}: no "/", spaces or control characters, not "-" first, not "." or "..")`,
      { details: { field: 'name' } },
    );
}
