/**
 * @module `skiff purge`: remove every deleted instance for good.
 */
import { defineVerb } from '../verb.js';

export const verb = defineVerb({
  name: 'purge',
  description: 'Remove every deleted instance for good',
  async run(_args, ctx) {
    await ctx.withDaemon((client) => client.purge());
    return 0;
  },
});
