/**
 * @module `skiff restart [NAMES...|--all] [--timeout S]`.
 */
import { actOnInstances, bootBody } from '../instance-action.js';
import { defineVerb, flag, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'restart',
  description: 'Restart instances',
  operands: { names: operand('[names...]', 'instance names (default: the primary instance)') },
  options: {
    all: flag('--all', 'act on every instance'),
    timeout: value('--timeout <seconds>', 'give up waiting for the guest after this long (default 300)'),
  },
  async run(args, ctx) {
    await actOnInstances('restart', args, bootBody(args.timeout), ctx);
    return 0;
  },
});
