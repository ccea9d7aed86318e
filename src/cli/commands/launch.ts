/**
 * @module `skiff launch [image] [-n NAME] [-c CPUS] [-m MEM] [-d DISK] [--cloud-init FILE|-] [--timeout S]`.
 */
import { readFile } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { progressReporter } from '../progress.js';
import { parseTimeoutS } from './timeout.js';

export interface LaunchArgs {
  image?: string;
  name?: string;
  cpus?: string;
  memory?: string;
  disk?: string;
  cloudInit?: string;
  timeout?: string;
}

export async function run(args: LaunchArgs, ctx: CliContext): Promise<number> {
  const timeout = parseTimeoutS(args.timeout);
  const cpus = args.cpus === undefined ? undefined : Number(args.cpus);
  if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1)) {
    throw new SkiffError('invalid-argument', `--cpus: "${args.cpus}" is not a whole number of at least 1`);
  }
  const cloudInit = args.cloudInit === undefined ? undefined : await readCloudInit(args.cloudInit);
  const progress = progressReporter(ctx.stderr);
  try {
    const result = await ctx.withDaemon((client) =>
      client.launch(
        {
          image: args.image ?? '',
          name: args.name,
          cpus,
          memory: args.memory,
          disk: args.disk,
          cloud_init: cloudInit,
          timeout,
        },
        (message, download) => progress.update(message, download),
      ),
    );
    progress.done();
    ctx.stdout.write(`Launched: ${result.name}\n`);
    for (const warning of result.warnings ?? []) ctx.stderr.write(`warning: ${warning}\n`);
  } finally {
    progress.done();
  }
  return 0;
}

async function readCloudInit(source: string): Promise<string> {
  try {
    if (source === '-') {
      let text = '';
      for await (const chunk of process.stdin.setEncoding('utf8')) text += chunk as string;
      return text;
    }
    if (/^https?:\/\//.test(source)) {
      const response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return await response.text();
    }
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new SkiffError(
      'invalid-argument',
      `--cloud-init ${source}: cannot read it (${(error as Error).message})`,
    );
  }
}
