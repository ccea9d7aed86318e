/**
 * @module `skiff version`: client and daemon versions.
 */
import { skiffVersion } from '../../core/install-root.js';
import { isSkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { renderTable } from '../format/table.js';

export async function run(args: { format?: string }, ctx: CliContext): Promise<number> {
  const format = parseFormat(args.format);
  let daemon = '';
  try {
    daemon = (await ctx.withDaemon((client) => client.version())).skiffd;
  } catch (error) {
    // Like Multipass: the client version is still worth printing when no daemon answers.
    if (!isSkiffError(error) || error.code !== 'daemon-unreachable') throw error;
    ctx.stderr.write(`warning: ${error.message}\n`);
  }
  const value = { skiff: skiffVersion(), skiffd: daemon };
  if (format === 'json') ctx.stdout.write(renderJson(value));
  else if (format === 'yaml') ctx.stdout.write(await renderYaml(value));
  else if (format === 'csv') ctx.stdout.write(renderCsv(['skiff', 'skiffd'], [[value.skiff, value.skiffd]]));
  else
    ctx.stdout.write(
      renderTable(['', ''], [['skiff', value.skiff], ...(daemon ? [['skiffd', daemon]] : [])]).replace(
        /^\n/,
        '',
      ),
    );
  return 0;
}
