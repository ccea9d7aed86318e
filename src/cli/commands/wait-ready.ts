/**
 * @module `skiff wait-ready [--timeout S]`: returns once the daemon answers and every remote has a usable catalog.
 */
import type { CliContext } from '../context.js';
import { progressReporter } from '../progress.js';
import { parseTimeoutS } from './timeout.js';

export async function run(args: { timeout?: string }, ctx: CliContext): Promise<number> {
  const timeout = parseTimeoutS(args.timeout);
  const progress = progressReporter(ctx.stderr);
  try {
    await ctx.withDaemon((client) => client.waitReady(timeout, (message) => progress.update(message)));
  } finally {
    progress.done();
  }
  return 0;
}
