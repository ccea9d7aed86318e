/**
 * @module `skiff purge`: remove every deleted instance for good.
 */
import { forgetInstanceAliases } from '../aliases/alias-purge.js';
import { defineVerb } from '../verb.js';

export const verb = defineVerb({
  name: 'purge',
  description: 'Remove every deleted instance for good',
  async run(_args, ctx) {
    const { purged } = await ctx.withDaemon((client) => client.purge());
    await forgetInstanceAliases(purged, ctx);
    return 0;
  },
});
