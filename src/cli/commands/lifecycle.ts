/**
 * @module start, stop, restart, suspend, recover, delete and purge: each over the names given, `--all`, or the
 * primary instance, as Multipass does.
 */
import type { BootBody, InstanceAction, StopBody } from '../../api/contract.js';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { progressReporter } from '../progress.js';
import { targetNames } from './targets.js';
import { parseTimeoutS } from './timeout.js';

export interface LifecycleArgs {
  names: string[];
  all?: boolean;
  force?: boolean;
  time?: string;
  cancel?: boolean;
  purge?: boolean;
  timeout?: string;
}

const WORDING: Record<InstanceAction, string> = {
  start: 'Starting',
  stop: 'Stopping',
  restart: 'Restarting',
  suspend: 'Suspending',
  recover: 'Recovering',
};

export function action(verb: InstanceAction) {
  return async (args: LifecycleArgs, ctx: CliContext): Promise<number> => {
    const body = verb === 'stop' ? stopBody(args) : bootBody(verb, args);
    const names = await ctx.withDaemon((client) => targetNames(client, args.names, args.all, verb));
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
    if (verb === 'recover') for (const name of names) ctx.stdout.write(`Recovered ${name}\n`);
    return 0;
  };
}

function bootBody(verb: InstanceAction, args: LifecycleArgs): BootBody | undefined {
  if (verb !== 'start' && verb !== 'restart') return undefined;
  const timeout = parseTimeoutS(args.timeout);
  return timeout === undefined ? {} : { timeout };
}

function stopBody(args: LifecycleArgs): StopBody {
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

export async function runDelete(args: LifecycleArgs, ctx: CliContext): Promise<number> {
  if (!args.all && args.names.length === 0)
    throw new SkiffError('invalid-argument', 'delete: name an instance, or use --all');
  const names = await ctx.withDaemon((client) => targetNames(client, args.names, args.all, 'delete'));
  for (const name of names) await ctx.withDaemon((client) => client.delete(name, args.purge ?? false));
  return 0;
}

export async function runPurge(_args: object, ctx: CliContext): Promise<number> {
  await ctx.withDaemon((client) => client.purge());
  return 0;
}
