/**
 * @module Pure: the alias dictionary as Multipass keeps it (`src/client/common/alias_dict.cpp`): contexts of
 * aliases, one active context (`default` at first), and the rules for finding an alias by `NAME` or
 * `CONTEXT.NAME`. The file shape is Multipass's `multipass_aliases.json`, so `aliases --format json` prints it.
 */
import { SkiffError } from '../../core/errors.js';

/** `map`: run in the guest path the host's working directory is mounted at; `default`: the guest's home. */
export type WorkingDirectory = 'map' | 'default';

export interface AliasDefinition {
  instance: string;
  command: string;
  'working-directory': WorkingDirectory;
}

/** Multipass's file and JSON shape: contexts and their aliases, keys sorted when written. */
export interface AliasDict {
  'active-context': string;
  contexts: Record<string, Record<string, AliasDefinition>>;
}

export const DEFAULT_CONTEXT = 'default';

export function emptyDict(): AliasDict {
  return { 'active-context': DEFAULT_CONTEXT, contexts: { [DEFAULT_CONTEXT]: {} } };
}

/**
 * Reads a dictionary from its JSON text; a file from before contexts (a plain alias map) lands in `default`.
 * @throws SkiffError('invalid-argument') naming the field that is wrong.
 */
export function parseDict(text: string, source: string): AliasDict {
  const bad = (field: string, why: string): SkiffError =>
    new SkiffError('invalid-argument', `aliases file ${source}: ${field} ${why}`, { details: { field } });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SkiffError('invalid-argument', `aliases file ${source} is not JSON`, { cause: error });
  }
  if (json === null) return emptyDict();
  if (!isRecord(json)) throw bad('(root)', 'is not an object');
  if (Object.keys(json).length === 0) return emptyDict();
  const legacy = !('active-context' in json);
  const active = legacy ? DEFAULT_CONTEXT : json['active-context'];
  if (typeof active !== 'string') throw bad('active-context', 'is not a string');
  const rawContexts = legacy ? { [DEFAULT_CONTEXT]: json } : json.contexts;
  if (!isRecord(rawContexts)) throw bad('contexts', 'is not an object');
  const contexts: AliasDict['contexts'] = {};
  for (const [context, aliases] of Object.entries(rawContexts)) {
    if (!isRecord(aliases)) throw bad(`contexts.${context}`, 'is not an object');
    contexts[context] = {};
    for (const [name, def] of Object.entries(aliases)) {
      const field = `contexts.${context}.${name}`;
      if (!isRecord(def) || typeof def.instance !== 'string' || typeof def.command !== 'string')
        throw bad(field, 'needs string "instance" and "command"');
      const dir = def['working-directory'] ?? 'default';
      if (dir !== 'map' && dir !== 'default')
        throw bad(`${field}.working-directory`, 'is not "map" or "default"');
      contexts[context][name] = { instance: def.instance, command: def.command, 'working-directory': dir };
    }
  }
  contexts[active] ??= {};
  return { 'active-context': active, contexts };
}

/** The JSON text to store (and to print for `aliases --format json`): contexts and aliases sorted. */
export function serializeDict(dict: AliasDict): string {
  return `${JSON.stringify(sortedDict(dict), null, 4)}\n`;
}

/** A copy with empty contexts other than the active one dropped (Multipass's `sanitize_contexts`), sorted. */
export function sortedDict(dict: AliasDict): AliasDict {
  const contexts: AliasDict['contexts'] = {};
  for (const context of Object.keys(dict.contexts).sort()) {
    const aliases = dict.contexts[context]!;
    if (Object.keys(aliases).length === 0 && context !== dict['active-context']) continue;
    contexts[context] = Object.fromEntries(
      Object.keys(aliases)
        .sort()
        .map((name) => [name, aliases[name]!]),
    );
  }
  return { 'active-context': dict['active-context'], contexts };
}

/** Whether the dictionary holds no alias at all. */
export function isEmpty(dict: AliasDict): boolean {
  return Object.values(dict.contexts).every((aliases) => Object.keys(aliases).length === 0);
}

/** Switches the active context, creating it when new (`prefer`). */
export function preferContext(dict: AliasDict, context: string): AliasDict {
  return { 'active-context': context, contexts: { [context]: {}, ...dict.contexts } };
}

/** Adds `name` to the active context. @throws SkiffError('conflict') when it is there already (Multipass's words). */
export function addAlias(dict: AliasDict, name: string, def: AliasDefinition): AliasDict {
  const active = dict['active-context'];
  if (dict.contexts[active]?.[name])
    throw new SkiffError('invalid-argument', `Alias '${name}' already exists in current context`);
  return { ...dict, contexts: { ...dict.contexts, [active]: { ...dict.contexts[active], [name]: def } } };
}

/** A copy without `context.name`. */
export function removeAlias(dict: AliasDict, context: string, name: string): AliasDict {
  const { [name]: _removed, ...rest } = dict.contexts[context] ?? {};
  return { ...dict, contexts: { ...dict.contexts, [context]: rest } };
}

/** How many contexts define `name`. */
export function contextsDefining(dict: AliasDict, name: string): string[] {
  return Object.keys(dict.contexts).filter((context) => dict.contexts[context]![name] !== undefined);
}

/**
 * The alias `word` runs (Multipass's `get_alias`): `NAME` in the active context, else `NAME` when only one
 * context has it, else `CONTEXT.NAME`.
 */
export function findAlias(dict: AliasDict, word: string): AliasDefinition | undefined {
  const active = dict.contexts[dict['active-context']]?.[word];
  if (active) return active;
  const holders = contextsDefining(dict, word);
  if (holders.length === 1) return dict.contexts[holders[0]!]![word];
  const dot = word.indexOf('.');
  if (dot < 0) return undefined;
  return dict.contexts[word.slice(0, dot)]?.[word.slice(dot + 1)];
}

/** Which `[context, name]` `unalias WORD` removes: `NAME` in the active context, or `CONTEXT.NAME`. */
export function contextAndAlias(dict: AliasDict, word: string): [string, string] | undefined {
  const active = dict['active-context'];
  if (dict.contexts[active]?.[word]) return [active, word];
  const dot = word.lastIndexOf('.');
  if (dot < 0) return undefined;
  const [context, name] = [word.slice(0, dot), word.slice(dot + 1)];
  return dict.contexts[context]?.[name] ? [context, name] : undefined;
}

/**
 * Every alias of `instance`, and the context named like it, removed (Multipass's
 * `remove_aliases_for_instance`, run when an instance is purged). @returns the new dict and what went.
 */
export function removeInstanceAliases(
  dict: AliasDict,
  instance: string,
): { dict: AliasDict; removed: Array<[string, string]> } {
  const removed: Array<[string, string]> = [];
  const contexts: AliasDict['contexts'] = {};
  for (const [context, aliases] of Object.entries(dict.contexts)) {
    if (context === instance) {
      for (const name of Object.keys(aliases)) removed.push([context, name]);
      continue;
    }
    contexts[context] = {};
    for (const [name, def] of Object.entries(aliases)) {
      if (def.instance === instance) removed.push([context, name]);
      else contexts[context][name] = def;
    }
  }
  let active = dict['active-context'];
  if (active === instance) active = DEFAULT_CONTEXT;
  contexts[active] ??= {};
  return { dict: { 'active-context': active, contexts }, removed };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
