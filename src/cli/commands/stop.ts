/**
 * @module `skiff stop [NAMES...|--all] [-t MINUTES | -c | --force]`.
 */
import type { StopBody } from '../../api/contract.js';
import { SkiffError } from '../../core/errors.js';
import { actOnInstances } from '../instance-action.js';
import { defineVerb, flag, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'stop',
  description: 'Stop instances',
  operands: { names: operand('[names...]', 'instance names (default: the primary instance)') },
  options: {
    all: flag('--all', 'act on every instance'),
    time: value('-t, --time <minutes>', 'shut down after this many minutes (state: Delayed Shutdown)'),
    cancel: flag('-c, --cancel', 'cancel a delayed shutdown'),
    force: flag('--force', 'power off at once (and discard a suspended state)'),
  },
  async run(args, ctx) {
    await actOnInstances('stop', args, stopBody(args), ctx);
    return 0;
  },
});

function stopBody(args: { time?: string; cancel?: boolean; force?: boolean }): StopBody {
  if (args.cancel && (args.time !== undefined || args.force))
    throw new SkiffError('invalid-argument', 'stop: --cancel cannot be combined with --time or --force');
  if (args.time !== undefined && args.force)
    throw new SkiffError('invalid-argument', 'stop: --time cannot be combined with --force');
  let time: number | undefined;
  if (args.time !== undefined) {
    // Multipass accepts minutes, optionally written with a leading "+".
    const minutes = Number(args.time.replace(/^\+/, ''));
    if (!Number.isInteger(minutes) || minutes < 0)
      throw new SkiffError('invalid-argument', `--time: "${args.time}" is not a whole number of minutes`);
    time = minutes;
  }
  return { force: args.force, time, cancel: args.cancel };
}
