/**
 * @module `skiff remotes`: each remote, its catalog state, last success, last error and next attempt. Read-only.
 */
import type { RemoteJson } from '../../api/contract.js';
import { ageText } from '../../core/age.js';
import type { CliContext } from '../context.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { renderTable } from '../format/table.js';

export async function run(args: { format?: string }, ctx: CliContext): Promise<number> {
  const format = parseFormat(args.format);
  const { remotes } = await ctx.withDaemon((client) => client.remotes());
  const now = Date.now();
  const when = (iso: string | null, future: boolean) => {
    if (iso === null) return '-';
    const delta = Date.parse(iso) - now;
    return future ? (delta <= 0 ? 'now' : `in ${ageText(delta)}`) : `${ageText(-delta)} ago`;
  };
  const error = (r: RemoteJson) => (r.last_error ? `${r.last_error.cause}: ${r.last_error.message}` : '-');
  if (format === 'json') ctx.stdout.write(renderJson({ remotes }));
  else if (format === 'yaml') ctx.stdout.write(await renderYaml({ remotes }));
  else if (format === 'csv') {
    ctx.stdout.write(
      renderCsv(
        ['Name', 'URL', 'State', 'Last success', 'Next attempt', 'Error cause', 'Error URL', 'Error message'],
        remotes.map((r) => [
          r.name,
          r.url,
          r.state,
          r.last_success ?? '',
          r.next_attempt ?? '',
          r.last_error?.cause ?? '',
          r.last_error?.url ?? '',
          r.last_error?.message ?? '',
        ]),
      ),
    );
  } else {
    ctx.stdout.write(
      renderTable(
        ['Name', 'State', 'Updated', 'Next attempt', 'URL', 'Last error'],
        remotes.map((r) => [
          r.name,
          r.state,
          when(r.last_success, false),
          r.attempting ? 'now (in progress)' : when(r.next_attempt, true),
          r.url,
          error(r),
        ]),
      ),
    );
  }
  return 0;
}
