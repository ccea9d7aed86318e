/**
 * @module `skiff get [KEY] [--keys] [--raw]`.
 */
import { SkiffError } from '../../core/errors.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'get',
  description: 'Get a configuration setting (all settings without KEY)',
  operands: { key: operand('[key]', 'the setting key, e.g. local.image.mirror') },
  options: {
    keys: flag('--keys', 'list the available setting keys'),
    raw: flag('--raw', 'print an empty value as nothing instead of <empty>'),
  },
  async run(args, ctx) {
    if (args.keys) {
      if (args.key) throw new SkiffError('invalid-argument', 'get: --keys takes no KEY');
      const { settings } = await ctx.withDaemon((client) => client.settings());
      ctx.stdout.write(`${Object.keys(settings).sort().join('\n')}\n`);
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
  },
});
