/**
 * @module Where aliases live on the host, as Multipass lays them out: the dictionary in
 * `$XDG_CONFIG_HOME/skiff/skiff_aliases.json` (Multipass: `~/.config/multipass/multipass_aliases.json`) and
 * one executable script per alias in `$XDG_DATA_HOME/skiff/bin` (Multipass: `~/.local/share/multipass/bin`),
 * the directory the user puts on PATH. Each alias has a script named `CONTEXT.NAME`, and one named `NAME`
 * while only one context defines it. Aliases are the user's own: nothing here runs as root or talks to skiffd.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { shellQuote } from '../../core/ssh-args.js';
import { contextsDefining, emptyDict, parseDict, serializeDict, type AliasDict } from './alias-dict.js';

export interface AliasPaths {
  /** The dictionary file. */
  file: string;
  /** The scripts' directory (to put on PATH). */
  scriptsDir: string;
}

/** The paths for this user, from the XDG variables or their defaults under `home`. */
export function aliasPaths(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): AliasPaths {
  const config = env.XDG_CONFIG_HOME || join(home, '.config');
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return { file: join(config, 'skiff', 'skiff_aliases.json'), scriptsDir: join(data, 'skiff', 'bin') };
}

/** The dictionary, or an empty one when there is no file yet. @throws SkiffError for a malformed file. */
export async function loadAliases(paths: AliasPaths): Promise<AliasDict> {
  let text: string;
  try {
    text = await readFile(paths.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDict();
    throw new SkiffError('permission-denied', `reading the aliases file ${paths.file}`, { cause: error });
  }
  return parseDict(text, paths.file);
}

/** Writes the dictionary through a temporary file and a rename, so a crash never leaves half a file. */
export async function saveAliases(paths: AliasPaths, dict: AliasDict): Promise<void> {
  await mkdir(join(paths.file, '..'), { recursive: true });
  const temp = `${paths.file}.${process.pid}.tmp`;
  await writeFile(temp, serializeDict(dict), { mode: 0o600 });
  await rename(temp, paths.file);
}

/** The script text: runs `skiff ALIAS -- ARGS...` (main.ts turns that into `exec`), as Multipass's does. */
export function aliasScript(skiffPath: string, scriptName: string): string {
  return `#!/bin/sh\n\nexec ${shellQuote(skiffPath)} ${shellQuote(scriptName)} -- "$@"\n`;
}

/**
 * Writes the scripts `name` needs after it was added to `context`: `CONTEXT.NAME` always, `NAME` while one
 * context alone defines it (else the bare name would be ambiguous, and the bare script goes).
 */
export async function writeAliasScripts(
  paths: AliasPaths,
  dict: AliasDict,
  context: string,
  name: string,
  skiffPath: string,
): Promise<void> {
  await mkdir(paths.scriptsDir, { recursive: true });
  await writeScript(paths, `${context}.${name}`, skiffPath);
  if (contextsDefining(dict, name).length === 1) await writeScript(paths, name, skiffPath);
  else await rm(join(paths.scriptsDir, name), { force: true });
}

/** Removes the scripts of `context.name` (now gone from `dict`); the bare one only when no context has it. */
export async function removeAliasScripts(
  paths: AliasPaths,
  dict: AliasDict,
  context: string,
  name: string,
  skiffPath: string,
): Promise<void> {
  await rm(join(paths.scriptsDir, `${context}.${name}`), { force: true });
  const holders = contextsDefining(dict, name);
  if (holders.length === 0) await rm(join(paths.scriptsDir, name), { force: true });
  // One context left with the name: the bare name is unambiguous again.
  else if (holders.length === 1) await writeScript(paths, name, skiffPath);
}

async function writeScript(paths: AliasPaths, scriptName: string, skiffPath: string): Promise<void> {
  const path = join(paths.scriptsDir, scriptName);
  await writeFile(path, aliasScript(skiffPath, scriptName));
  await chmod(path, 0o755);
}

/** Multipass's note when the scripts' directory is not on PATH (`platform_unix.cpp`, skiff's names). */
export function pathMessage(scriptsDir: string): string {
  return (
    "You'll need to add this to your shell configuration (.bashrc, .zshrc or so) for\n" +
    `aliases to work without prefixing with \`skiff\`:\n\nPATH="$PATH:${scriptsDir}"\n`
  );
}
