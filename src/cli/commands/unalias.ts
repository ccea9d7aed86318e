/**
 * @module `skiff unalias NAME... | --all`: removes aliases (NAME or CONTEXT.NAME; `--all`: the active
 * context's) and their scripts, with Multipass's checks (`src/client/cli/cmd/unalias.cpp`).
 */
import { SkiffError } from '../../core/errors.js';
import { NAME_OR_ALL_REQUIRED, namesWithAll } from '../../core/messages.js';
import { aliasHome } from '../aliases/alias-context.js';
import { contextAndAlias, removeAlias } from '../aliases/alias-dict.js';
import { loadAliases, removeAliasScripts, saveAliases } from '../aliases/alias-files.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'unalias',
  description: 'Remove aliases',
  operands: { names: operand('[names...]', 'Names of aliases to remove') },
  options: { all: flag('--all', 'Remove all aliases from current context') },
  async run(args, ctx) {
    if (args.all && args.names.length > 0)
      throw new SkiffError('invalid-argument', namesWithAll(args.names.length));
    if (!args.all && args.names.length === 0) throw new SkiffError('invalid-argument', NAME_OR_ALL_REQUIRED);
    const home = aliasHome();
    let dict = await loadAliases(home.paths);
    const active = dict['active-context'];
    const targets: Array<[string, string]> = args.all
      ? Object.keys(dict.contexts[active] ?? {}).map((name) => [active, name])
      : [];
    const missing: string[] = [];
    for (const word of args.names) {
      const found = contextAndAlias(dict, word);
      if (found) targets.push(found);
      else missing.push(word);
    }
    if (missing.length > 0)
      throw new SkiffError(
        'invalid-argument',
        `Nonexistent ${missing.length === 1 ? 'alias' : 'aliases'}: ${missing.join(', ')}.`,
      );
    for (const [context, name] of targets) dict = removeAlias(dict, context, name);
    await saveAliases(home.paths, dict);
    for (const [context, name] of targets) {
      try {
        await removeAliasScripts(home.paths, dict, context, name, home.skiffPath);
      } catch (error) {
        ctx.stderr.write(
          `Warning: '${(error as Error).message}' when removing alias script for ${context}.${name}\n`,
        );
      }
    }
    return 0;
  },
});
