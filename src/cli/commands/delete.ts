/**
 * @module `skiff delete [NAMES...|--all] [-p]`: deleted instances can be recovered until purged.
 */
import { SkiffError } from '../../core/errors.js';
import { NAME_OR_ALL_REQUIRED } from '../../core/messages.js';
import { forgetInstanceAliases } from '../aliases/alias-purge.js';
import { targetNames } from '../targets.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'delete',
  description: 'Delete instances (recoverable until purged)',
  operands: { names: operand('[names...]', 'instance names') },
  options: {
    all: flag('--all', 'every instance'),
    purge: flag('-p, --purge', 'remove at once, with the disk (not recoverable)'),
  },
  async run(args, ctx) {
    if (!args.all && args.names.length === 0)
      throw new SkiffError(
        'invalid-argument',
        `${NAME_OR_ALL_REQUIRED} (delete: name an instance, or use --all)`,
      );
    const names = await ctx.withDaemon((client) => targetNames(client, args.names, args.all, 'delete'));
    for (const name of names) {
      await ctx.withDaemon((client) => client.delete(name, args.purge ?? false));
      if (args.purge) await forgetInstanceAliases([name], ctx);
    }
    return 0;
  },
});
