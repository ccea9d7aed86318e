/**
 * @module `skiff get [KEY] [--keys] [--raw]`.
 */
import type { CliContext } from '../context.js';
import { SkiffError } from '../../core/errors.js';

export async function run(
  args: { key?: string; keys?: boolean; raw?: boolean },
  ctx: CliContext,
): Promise<number> {
  if (args.keys) {
    if (args.key) throw new SkiffError('invalid-argument', 'get: --keys takes no KEY');
    const { settings } = await ctx.withDaemon((client) => client.settings());
    ctx.stdout.write(`${Object.keys(settings).join('\n')}\n`);
    return 0;
  }
  if (!args.key) {
    const { settings } = await ctx.withDaemon((client) => client.settings());
    for (const [key, value] of Object.entries(settings)) ctx.stdout.write(`${key}=${value}\n`);
    return 0;
  }
  const key = args.key;
  const { value } = await ctx.withDaemon((client) => client.getSetting(key));
  // Multipass shows an empty value as <empty> unless --raw.
  ctx.stdout.write(`${value === '' && !args.raw ? '<empty>' : value}\n`);
  return 0;
}
