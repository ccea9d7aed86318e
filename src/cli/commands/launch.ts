/**
 * @module `skiff launch [image] [-n NAME] [-c CPUS] [-m MEM] [-d DISK] [--cloud-init FILE|-] [--timeout S]
 * [--network SPEC]... [--bridged]`.
 */
import { readFile } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { DaemonClient } from '../../client/daemon-client.js';
import type { CliContext } from '../context.js';
import { progressReporter } from '../progress.js';
import { isLocalImage, openLocalImage, type LocalImage } from '../local-image.js';
import { networkOptions } from '../network-option.js';
import { splitLaunchMount } from '../../core/mount-spec.js';
import type { AddMountBody } from '../../api/contract.js';
import { resolveMountSource } from '../mount-source.js';
import { mountPrimaryHome } from '../primary-home.js';
import { parseTimeoutS } from '../timeout.js';
import { defineVerb, flag, operand, repeatable, value, type VerbArgs } from '../verb.js';

const operands = {
  image: operand(
    '[image]',
    'alias, release or id prefix ([remote:]image), http(s):// URL or file:// path (default: the LTS)',
  ),
};
const options = {
  name: value('-n, --name <name>', 'instance name (default: a generated one)'),
  cpus: value('-c, --cpus <cpus>', 'number of CPUs (default 1)'),
  memory: value('-m, --memory <size>', 'memory, with units (default 1G, minimum 512M)'),
  disk: value('-d, --disk <size>', 'disk size, with units (default 5G, minimum 1G)'),
  cloudInit: value('--cloud-init <file>', 'user cloud-config: a file, a URL, or - for stdin'),
  timeout: value('--timeout <seconds>', 'give up after this long (default 600)'),
  network: repeatable(
    '--network <spec>',
    'add a network interface: name=IF[,mode=auto|manual][,mac=MAC], or just IF; IF is one of `skiff networks`, ' +
      'or "bridged" for the one in local.bridged-network (repeatable)',
  ),
  bridged: flag('--bridged', 'add one `--network bridged` interface'),
  mount: repeatable(
    '--mount <source[:target]>',
    'mount a local directory in the instance (target defaults to the source path; native for root, classic for others; repeatable)',
  ),
};

export const verb = defineVerb({
  name: 'launch',
  description: 'Create and start an Ubuntu instance',
  operands,
  options,
  run,
});

async function run(args: VerbArgs<typeof operands, typeof options>, ctx: CliContext): Promise<number> {
  const timeout = parseTimeoutS(args.timeout);
  const networks = networkOptions(args.network, args.bridged === true);
  const cpus = args.cpus === undefined ? undefined : Number(args.cpus);
  if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1)) {
    throw new SkiffError('invalid-argument', `--cpus: "${args.cpus}" is not a whole number of at least 1`);
  }
  // Local files, like --cloud-init, are read here with the user's own rights: the daemon opens no client path.
  const cloudInit = args.cloudInit === undefined ? undefined : await readCloudInit(args.cloudInit);
  const mounts = await launchMounts(args.mount ?? []);
  const local = isLocalImage(args.image) ? await openLocalImage(args.image) : null;
  const progress = progressReporter(ctx.stderr);
  try {
    const result = await ctx.withDaemon((client) =>
      client.launch(
        {
          image: local === null ? (args.image ?? '') : undefined,
          image_upload: local === null ? undefined : uploadJson(local),
          name: args.name,
          cpus,
          memory: args.memory,
          disk: args.disk,
          cloud_init: cloudInit,
          timeout,
          ...(networks.length > 0 && { networks }),
          ...(mounts.length > 0 && { mounts }),
        },
        (message, download) => progress.update(message, download),
        local === null ? undefined : uploader(client, local),
      ),
    );
    progress.done();
    ctx.stdout.write(`Launched: ${result.name}\n`);
    for (const warning of result.warnings ?? []) ctx.stderr.write(`warning: ${warning}\n`);
    return await mountPrimaryHome(
      ctx,
      result.name,
      mounts.map((m) => m.target_path ?? ''),
    );
  } finally {
    progress.done();
    await local?.close();
  }
}

const uploadJson = (local: LocalImage) => ({
  name: local.path,
  size_bytes: local.sizeBytes,
  mtime_ms: local.mtimeMs,
});

/**
 * Sends the file once the daemon asks for it. The launch's own stream reports what became of the bytes, so a
 * failed upload is not reported twice: the launch fails with the daemon's account of it.
 */
function uploader(client: DaemonClient, local: LocalImage): (token: string) => void {
  let sent = false;
  return (token) => {
    if (sent) return;
    sent = true;
    client.upload(token, local.stream(), local.sizeBytes).catch(() => undefined);
  };
}

/** Each `--mount SOURCE[:TARGET]`, resolved as the calling user (the daemon picks the type by who asks). */
async function launchMounts(specs: readonly string[]): Promise<AddMountBody[]> {
  const bodies: AddMountBody[] = [];
  for (const spec of specs) {
    const { source, target } = splitLaunchMount(spec);
    bodies.push({
      source_path: await resolveMountSource(source),
      ...(target !== undefined && { target_path: target }),
    });
  }
  return bodies;
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
