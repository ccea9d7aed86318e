/**
 * @module `skiff mirror build|serve`: publish images as a simplestreams mirror, and serve it over HTTP.
 * These run in the CLI process, not in skiffd: they only touch a directory the user names (which a root
 * daemon should not write into), and `serve` lives exactly as long as the command.
 */
import { resolve } from 'node:path';
import { hostArch } from '../../core/arch.js';
import type { CliContext } from '../context.js';
import type { RawPublishOptions } from '../../mirror/publish-options.js';

export async function runBuild(
  args: RawPublishOptions & { dir: string; image?: string },
  ctx: CliContext,
): Promise<number> {
  const { parsePublishOptions } = await import('../../mirror/publish-options.js');
  const { buildMirror } = await import('../../mirror/build.js');
  const { SkiffError } = await import('../../core/errors.js');
  const options = parsePublishOptions(args, hostArch());
  if (!args.image) throw new SkiffError('invalid-argument', 'mirror build: --image FILE is required');
  const result = await buildMirror(resolve(args.dir), resolve(args.image), options);
  const what = `${result.product} version ${result.serial} (sha256 ${result.sha256}, ${result.sizeBytes} bytes)`;
  ctx.stdout.write(
    result.noop ? `already published: ${what}\n` : `published ${what}\n  ${result.imagePath}\n`,
  );
  return 0;
}

export async function runServe(args: { dir: string; listen?: string }, ctx: CliContext): Promise<number> {
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
