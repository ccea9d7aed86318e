/**
 * @module `skiff recover [NAMES...|--all]`: bring deleted instances back.
 */
import { actOnInstances } from '../instance-action.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'recover',
  description: 'Recover deleted instances',
  operands: { names: operand('[names...]', 'instance names (default: the primary instance)') },
  options: { all: flag('--all', 'act on every instance') },
  async run(args, ctx) {
    const names = await actOnInstances('recover', args, undefined, ctx);
    for (const name of names) ctx.stdout.write(`Recovered ${name}\n`);
    return 0;
  },
});
