/**
 * @module `skiff wait-ready [--timeout S]`: returns once the daemon answers and every remote has a usable catalog.
 */
import { progressReporter } from '../progress.js';
import { parseTimeoutS } from '../timeout.js';
import { defineVerb, value } from '../verb.js';

export const verb = defineVerb({
  name: 'wait-ready',
  description: 'Wait until the daemon is up and every remote has a usable image catalog',
  options: {
    timeout: value('--timeout <seconds>', 'give up after this many seconds (exit code 5; default 300)'),
  },
  async run(args, ctx) {
    const timeout = parseTimeoutS(args.timeout);
    const progress = progressReporter(ctx.stderr);
    try {
      await ctx.withDaemon((client) => client.waitReady(timeout, (message) => progress.update(message)));
    } finally {
      progress.done();
    }
    return 0;
  },
});
