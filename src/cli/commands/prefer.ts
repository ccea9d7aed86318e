/**
 * @module `skiff prefer CONTEXT`: switches the active alias context, creating it when new (Multipass's
 * `prefer`). A bare alias name then means the one in this context.
 */
import { SkiffError } from '../../core/errors.js';
import { aliasHome } from '../aliases/alias-context.js';
import { preferContext } from '../aliases/alias-dict.js';
import { loadAliases, saveAliases } from '../aliases/alias-files.js';
import { defineVerb, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'prefer',
  description: 'Switch the current alias context. If it does not exist, create it before switching.',
  operands: { name: operand('<name>', 'Name of the context to switch to') },
  async run(args) {
    // A context names script files (CONTEXT.ALIAS): the same limits as an alias name.
    if (args.name === '' || /[/\s]/.test(args.name))
      throw new SkiffError(
        'invalid-argument',
        `prefer: "${args.name}" is not a context name (no "/" or spaces)`,
        {
          details: { field: 'name' },
        },
      );
    const { paths } = aliasHome();
    await saveAliases(paths, preferContext(await loadAliases(paths), args.name));
    return 0;
  },
});
