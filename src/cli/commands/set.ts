/**
 * @module `skiff set KEY=VALUE`.
 */
import type { CliContext } from '../context.js';
import { SkiffError } from '../../core/errors.js';

export async function run(args: { assignment: string }, ctx: CliContext): Promise<number> {
  const eq = args.assignment.indexOf('=');
  if (eq <= 0) {
    throw new SkiffError('invalid-argument', `set: expected KEY=VALUE, got "${args.assignment}"`);
  }
  const [key, value] = [args.assignment.slice(0, eq), args.assignment.slice(eq + 1)];
  await ctx.withDaemon((client) => client.setSetting(key, value));
  return 0;
}
