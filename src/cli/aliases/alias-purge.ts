/**
 * @module Aliases go with their instance: when `delete --purge` or `purge` removes instances for good, their
 * aliases and scripts are removed too, as Multipass's client does (`delete.cpp`, `purge.cpp`). A soft delete
 * keeps them: the instance may be recovered.
 */
import type { CliContext } from '../context.js';
import { aliasHome } from './alias-context.js';
import { removeInstanceAliases } from './alias-dict.js';
import { loadAliases, removeAliasScripts, saveAliases } from './alias-files.js';

/** Removes the aliases of `instances`; problems are warnings, the instances are gone whatever happens here. */
export async function forgetInstanceAliases(instances: readonly string[], ctx: CliContext): Promise<void> {
  if (instances.length === 0) return;
  const home = aliasHome();
  try {
    let dict = await loadAliases(home.paths);
    const removed: Array<[string, string]> = [];
    for (const instance of instances) {
      const result = removeInstanceAliases(dict, instance);
      dict = result.dict;
      removed.push(...result.removed);
    }
    if (removed.length === 0) return;
    await saveAliases(home.paths, dict);
    for (const [context, name] of removed) {
      await removeAliasScripts(home.paths, dict, context, name, home.skiffPath).catch((error: Error) =>
        ctx.stderr.write(`Warning: '${error.message}' when removing alias script for ${context}.${name}\n`),
      );
    }
  } catch (error) {
    ctx.stderr.write(
      `Warning: removing the aliases of ${instances.join(', ')}: ${(error as Error).message}\n`,
    );
  }
}
