/**
 * @module `skiff suspend [NAMES...|--all]`: save instances' state to disk.
 */
import { actOnInstances } from '../instance-action.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'suspend',
  description: 'Suspend instances (save their state to disk)',
  operands: { names: operand('[names...]', 'instance names (default: the primary instance)') },
  options: { all: flag('--all', 'act on every instance') },
  async run(args, ctx) {
    await actOnInstances('suspend', args, undefined, ctx);
    return 0;
  },
});
