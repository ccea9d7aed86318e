/**
 * @module Every verb of `skiff`, in the order help lists them, with the names argv may call it by.
 *
 * Why a list apart from the verb files: each verb lives in one file (its definition and its `run`), and esbuild
 * gives each file a chunk of its own because it is only reached through `import()`. Start-up then loads the
 * one verb that argv names, not all twenty; only help, an unknown word or no verb at all loads every one
 * (commander needs them all to list them or to suggest a name). The names and aliases here must match each
 * file's definition: verbs.test.ts checks that.
 */
import type { Verb } from './verb.js';

export interface VerbEntry {
  name: string;
  aliases?: string[];
  load(): Promise<Verb>;
}

export const VERBS: VerbEntry[] = [
  { name: 'launch', load: async () => (await import('./commands/launch.js')).verb },
  { name: 'list', aliases: ['ls'], load: async () => (await import('./commands/list.js')).verb },
  { name: 'info', load: async () => (await import('./commands/info.js')).verb },
  { name: 'start', load: async () => (await import('./commands/start.js')).verb },
  { name: 'stop', load: async () => (await import('./commands/stop.js')).verb },
  { name: 'restart', load: async () => (await import('./commands/restart.js')).verb },
  { name: 'suspend', load: async () => (await import('./commands/suspend.js')).verb },
  { name: 'recover', load: async () => (await import('./commands/recover.js')).verb },
  { name: 'clone', load: async () => (await import('./commands/clone.js')).verb },
  { name: 'delete', load: async () => (await import('./commands/delete.js')).verb },
  { name: 'purge', load: async () => (await import('./commands/purge.js')).verb },
  { name: 'snapshot', load: async () => (await import('./commands/snapshot.js')).verb },
  { name: 'restore', load: async () => (await import('./commands/restore.js')).verb },
  { name: 'exec', load: async () => (await import('./commands/exec.js')).verb },
  {
    name: 'transfer',
    aliases: ['copy-files'],
    load: async () => (await import('./commands/transfer.js')).verb,
  },
  { name: 'images', load: async () => (await import('./commands/images.js')).verb },
  { name: 'shell', aliases: ['sh', 'connect'], load: async () => (await import('./commands/shell.js')).verb },
  { name: 'mount', load: async () => (await import('./commands/mount.js')).verb },
  {
    name: 'umount',
    aliases: ['unmount'],
    load: async () => (await import('./commands/umount.js')).verb,
  },
  { name: 'forward', load: async () => (await import('./commands/forward.js')).verb },
  { name: 'find', load: async () => (await import('./commands/find.js')).verb },
  { name: 'remotes', load: async () => (await import('./commands/remotes.js')).verb },
  { name: 'networks', load: async () => (await import('./commands/networks.js')).verb },
  { name: 'wait-ready', load: async () => (await import('./commands/wait-ready.js')).verb },
  { name: 'get', load: async () => (await import('./commands/get.js')).verb },
  { name: 'set', load: async () => (await import('./commands/set.js')).verb },
  { name: 'mirror', load: async () => (await import('./commands/mirror.js')).verb },
  { name: 'version', load: async () => (await import('./commands/version.js')).verb },
  {
    name: 'authenticate',
    aliases: ['auth'],
    load: async () => (await import('./commands/authenticate.js')).verb,
  },
  { name: 'alias', load: async () => (await import('./commands/alias.js')).verb },
  { name: 'aliases', load: async () => (await import('./commands/aliases.js')).verb },
  { name: 'unalias', load: async () => (await import('./commands/unalias.js')).verb },
  { name: 'prefer', load: async () => (await import('./commands/prefer.js')).verb },
  { name: 'completion', load: async () => (await import('./commands/completion.js')).verb },
];

/**
 * The verbs to register for `argv` (the words after `skiff`): the one its first operand names, or all of them.
 * The program's own options (`-v`, `-h`) take no value, so the first word not starting with `-` is the verb.
 */
export async function verbsFor(argv: readonly string[]): Promise<Verb[]> {
  const word = argv.find((arg) => !arg.startsWith('-'));
  const entry = VERBS.find((v) => v.name === word || (word !== undefined && v.aliases?.includes(word)));
  return entry ? [await entry.load()] : Promise.all(VERBS.map((v) => v.load()));
}
