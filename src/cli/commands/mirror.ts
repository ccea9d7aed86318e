/**
 * @module `skiff mirror build|serve`: publish images as a simplestreams mirror, and serve it over HTTP.
 * These run in the CLI process, not in skiffd: they only touch a directory the user names (which a root
 * daemon should not write into), and `serve` lives exactly as long as the command.
 */
import { resolve } from 'node:path';
import { hostArch } from '../../core/arch.js';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { defineGroup, defineVerb, flag, mandatory, operand, value, type VerbArgs } from '../verb.js';

const buildOperands = { dir: operand('<dir>', 'the mirror tree (holds releases/ and daily/)') };
const buildOptions = {
  image: mandatory('--image <file>', 'the disk image to publish'),
  release: mandatory('--release <codename>', 'release codename, e.g. noble'),
  version: mandatory('--version <NN.NN>', 'release number, e.g. 24.04'),
  aliases: mandatory(
    '--aliases <a,b,...>',
    'aliases, e.g. noble,24.04,lts (they move to the newest version)',
  ),
  title: value('--title <title>', 'release title (default: the version)'),
  os: value('--os <name>', 'OS name (default ubuntu)'),
  arch: value('--arch <arch>', "architecture (default: the host's)"),
  serial: value('--serial <YYYYMMDD[.N]>', 'version serial (default: today, then .1, .2 ...)'),
  stream: value('--stream <stream>', 'releases or daily (default releases)'),
  unsupported: flag('--unsupported', 'mark the product unsupported'),
};

export const verb = defineGroup({
  name: 'mirror',
  description: 'Publish images as a simplestreams mirror (for air-gapped hosts and local.image.mirror)',
  subcommands: [
    defineVerb({
      name: 'build',
      description: 'Add an image to the simplestreams tree in DIR (creates it when absent)',
      operands: buildOperands,
      options: buildOptions,
      run: runBuild,
    }),
    defineVerb({
      name: 'serve',
      description: 'Serve the tree in DIR over HTTP (Range, ETag, Last-Modified)',
      operands: { dir: operand('<dir>', 'the mirror tree') },
      options: { listen: value('--listen <addr:port>', 'where to listen (default 127.0.0.1:8080)') },
      run: runServe,
    }),
  ],
});

async function runBuild(
  args: VerbArgs<typeof buildOperands, typeof buildOptions>,
  ctx: CliContext,
): Promise<number> {
  const { parsePublishOptions } = await import('../../mirror/publish-options.js');
  const { buildMirror } = await import('../../mirror/build.js');
  const options = parsePublishOptions(args, hostArch());
  if (!args.image) throw new SkiffError('invalid-argument', 'mirror build: --image FILE is required');
  const result = await buildMirror(resolve(args.dir), resolve(args.image), options);
  const what = `${result.product} version ${result.serial} (sha256 ${result.sha256}, ${result.sizeBytes} bytes)`;
  ctx.stdout.write(
    result.noop ? `already published: ${what}\n` : `published ${what}\n  ${result.imagePath}\n`,
  );
  return 0;
}

async function runServe(args: { dir: string; listen: string | undefined }, ctx: CliContext): Promise<number> {
  const { parseListen, serveMirror } = await import('../../mirror/serve.js');
  const { host, port } = parseListen(args.listen ?? '127.0.0.1:8080');
  const { server, url } = await serveMirror({
    dir: args.dir,
    host,
    port,
    log: (line) => ctx.stderr.write(`${line}\n`),
  });
  ctx.stdout.write(`serving ${resolve(args.dir)} at ${url} (use: skiff set local.image.mirror=${url})\n`);
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
