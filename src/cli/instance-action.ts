/**
 * @module start, stop, restart, suspend and recover act alike: on the names given, `--all`, or the primary
 * instance, as Multipass does, one after the other with progress on stderr.
 */
import type { BootBody, InstanceAction, StopBody } from '../api/contract.js';
import type { CliContext } from './context.js';
import { progressReporter } from './progress.js';
import { targetNames } from './targets.js';
import { parseTimeoutS } from './timeout.js';
import { defineVerb, flag, operand, value } from './verb.js';

const WORDING: Record<InstanceAction, string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  suspend: 'Suspending',
  recover: 'Recovering',
};

/** The operands and options every instance action has. */
export interface Targets {
  names: string[];
  all: boolean | undefined;
}

/**
 * Runs `verb` with `body` on each target, then prints the daemon's warnings.
 * @returns the names acted on.
 */
export async function actOnInstances(
  verb: InstanceAction,
  targets: Targets,
  body: BootBody | StopBody | undefined,
  ctx: CliContext,
): Promise<string[]> {
  const names = await ctx.withDaemon((client) => targetNames(client, targets.names, targets.all, verb));
  const progress = progressReporter(ctx.stderr);
  const warnings: string[] = [];
  try {
    for (const name of names) {
      progress.update(`${WORDING[verb]} ${name}`);
      const result = await ctx.withDaemon((client) =>
        client.action(name, verb, body, (message) => progress.update(message)),
      );
      warnings.push(...(result.warnings ?? []));
    }
  } finally {
    progress.done();
  }
  for (const warning of warnings) ctx.stderr.write(`warning: ${warning}\n`);
  return names;
}

/** The body of start and restart: how long to wait for the guest. */
export function bootBody(timeout: string | undefined): BootBody {
  const seconds = parseTimeoutS(timeout);
  return seconds === undefined ? {} : { timeout: seconds };
}

/** `start` and `restart`: the same operands and options, acting with a boot timeout. */
export function bootVerb(name: 'start' | 'restart', description: string) {
  return defineVerb({
    name,
    description,
    operands: { names: operand('[names...]', 'instance names (default: the primary instance)') },
    options: {
      all: flag('--all', 'act on every instance'),
      timeout: value('--timeout <seconds>', 'give up waiting for the guest after this long (default 300)'),
    },
    async run(args, ctx) {
      await actOnInstances(name, args, bootBody(args.timeout), ctx);
      return 0;
    },
  });
}
