/**
 * @module `skiff find [remote:][STRING]`: images in the catalogs, in Multipass's shapes.
 */
import type { FindResponse } from '../../api/contract.js';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { progressReporter } from '../progress.js';
import { parseTimeoutS } from '../timeout.js';
import { defineVerb, flag, formatOption, operand, value, type VerbArgs } from '../verb.js';

const operands = {
  query: operand(
    '[string]',
    'an alias, release, or image id prefix, optionally prefixed by a remote ("daily:noble")',
  ),
};
const options = {
  showUnsupported: flag('--show-unsupported', 'show unsupported images as well'),
  forceUpdate: flag(
    '--force-update',
    'refresh the image catalogs now (failures are reported; the last good catalog is kept)',
  ),
  timeout: value('--timeout <seconds>', 'how long to wait for a missing catalog (default 60)'),
  format: formatOption,
};

export const verb = defineVerb({
  name: 'find',
  description: 'Display available images to create instances from',
  operands,
  options,
  run,
});

async function run(args: VerbArgs<typeof operands, typeof options>, ctx: CliContext): Promise<number> {
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
  const { errors, images } = result;
  const out = await render(format, { errors, images }, renderers);
  ctx[out.stream].write(out.text);
  const empty = Object.keys(images).length === 0;
  if (empty && args.query) {
    throw new SkiffError(
      'not-found',
      `no image matching "${args.query}"${args.showUnsupported ? '' : ' (try --show-unsupported)'}`,
    );
  }
  return errors.length > 0 && empty ? EXIT.failed : EXIT.ok;
}

const rowsOf = ({ images }: Pick<FindResponse, 'images'>) =>
  Object.entries(images).map(([key, image]) => ({ key, ...image }));

const renderers: Renderers<Pick<FindResponse, 'errors' | 'images'>> = {
  csv: (result) => ({
    headers: ['Image', 'Remote', 'Aliases', 'OS', 'Release', 'Version'],
    rows: rowsOf(result).map((r) => [r.key, r.remote, r.aliases.join(';'), r.os, r.release, r.version]),
  }),
  table: (result) => {
    const rows = rowsOf(result);
    if (rows.length === 0) return 'No images found.\n';
    return {
      headers: ['Image', 'Aliases', 'Version', 'Description'],
      rows: rows.map((r) => [r.key, r.aliases.join(','), r.version, `${r.os} ${r.release}`]),
    };
  },
};
