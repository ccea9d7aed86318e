/**
 * @module `skiff set KEY=VALUE`.
 */
import { SkiffError } from '../../core/errors.js';
import { readPassphrase } from '../passphrase-prompt.js';
import { defineVerb, operand } from '../verb.js';

const PASSPHRASE_KEY = 'local.passphrase';

export const verb = defineVerb({
  name: 'set',
  description: 'Set a configuration setting',
  operands: {
    assignment: operand(
      '<key=value>',
      'e.g. local.image.mirror=http://127.0.0.1:8080/ (local.passphrase alone: asked for without echo)',
    ),
  },
  async run(args, ctx) {
    // As Multipass: `set local.passphrase` alone asks for it twice, without echo.
    if (args.assignment === PASSPHRASE_KEY) {
      const first = await readPassphrase('Please enter passphrase: ');
      const second = await readPassphrase('Please re-enter passphrase: ');
      if (first !== second) throw new SkiffError('invalid-argument', 'Passphrases do not match');
      await ctx.withDaemon((client) => client.setSetting(PASSPHRASE_KEY, first));
      return 0;
    }
    const eq = args.assignment.indexOf('=');
    if (eq <= 0) {
      throw new SkiffError('invalid-argument', `set: expected KEY=VALUE, got "${args.assignment}"`);
    }
    const [key, value] = [args.assignment.slice(0, eq), args.assignment.slice(eq + 1)];
    await ctx.withDaemon((client) => client.setSetting(key, value));
    return 0;
  },
});
