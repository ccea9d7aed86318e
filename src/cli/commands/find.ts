/**
 * @module `skiff find [remote:][STRING]`: images in the catalogs, in Multipass's shapes.
 */
import type { FindResponse } from '../../api/contract.js';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { renderTable } from '../format/table.js';
import { progressReporter } from '../progress.js';
import { parseTimeoutS } from './timeout.js';

export interface FindArgs {
  query?: string;
  showUnsupported?: boolean;
  forceUpdate?: boolean;
  timeout?: string;
  format?: string;
}

export async function run(args: FindArgs, ctx: CliContext): Promise<number> {
  const format = parseFormat(args.format);
  const timeout = parseTimeoutS(args.timeout);
  const progress = progressReporter(ctx.stderr);
  let result: FindResponse;
  try {
    result = await ctx.withDaemon((client) =>
      client.find(
        {
          query: args.query ?? '',
          show_unsupported: args.showUnsupported,
          force_update: args.forceUpdate,
          timeout,
        },
        (message) => progress.update(message),
      ),
    );
  } finally {
    progress.done();
  }
  for (const warning of result.warnings) ctx.stderr.write(`warning: ${warning}\n`);
  if (format !== 'json') for (const error of result.errors) ctx.stderr.write(`error: ${error}\n`);
  ctx.stdout.write(await render(result, format));
  const empty = Object.keys(result.images).length === 0;
  if (empty && args.query) {
    throw new SkiffError(
      'not-found',
      `no image matching "${args.query}"${args.showUnsupported ? '' : ' (try --show-unsupported)'}`,
    );
  }
  return result.errors.length > 0 && empty ? EXIT.failed : EXIT.ok;
}

async function render(result: FindResponse, format: string): Promise<string> {
  const { errors, images } = result;
  const rows = Object.entries(images).map(([key, image]) => ({ key, ...image }));
  switch (format) {
    case 'json':
      return renderJson({ errors, images });
    case 'yaml':
      return renderYaml({ errors, images });
    case 'csv':
      return renderCsv(
        ['Image', 'Remote', 'Aliases', 'OS', 'Release', 'Version'],
        rows.map((r) => [r.key, r.remote, r.aliases.join(';'), r.os, r.release, r.version]),
      );
    default:
      if (rows.length === 0) return 'No images found.\n';
      return renderTable(
        ['Image', 'Aliases', 'Version', 'Description'],
        rows.map((r) => [r.key, r.aliases.join(','), r.version, `${r.os} ${r.release}`]),
      );
  }
}
