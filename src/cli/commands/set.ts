/**
 * @module `skiff set KEY=VALUE`.
 */
import { SkiffError } from '../../core/errors.js';
import { defineVerb, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'set',
  description: 'Set a configuration setting',
  operands: { assignment: operand('<key=value>', 'e.g. local.image.mirror=http://127.0.0.1:8080/') },
  async run(args, ctx) {
    const eq = args.assignment.indexOf('=');
    if (eq <= 0) {
      throw new SkiffError('invalid-argument', `set: expected KEY=VALUE, got "${args.assignment}"`);
    }
    const [key, value] = [args.assignment.slice(0, eq), args.assignment.slice(eq + 1)];
    await ctx.withDaemon((client) => client.setSetting(key, value));
    return 0;
  },
});
