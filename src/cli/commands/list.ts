/**
 * @module `skiff list` (`ls`): instances in Multipass's shapes.
 */
import type { CliContext } from '../context.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { renderTable } from '../format/table.js';

export async function run(args: { format?: string }, ctx: CliContext): Promise<number> {
  const format = parseFormat(args.format);
  const { list } = await ctx.withDaemon((client) => client.list());
  if (format === 'json') ctx.stdout.write(renderJson({ list }));
  else if (format === 'yaml')
    ctx.stdout.write(await renderYaml(Object.fromEntries(list.map(({ name, ...rest }) => [name, [rest]]))));
  else if (format === 'csv')
    ctx.stdout.write(
      renderCsv(
        ['Name', 'State', 'IPv4', 'IPv6', 'Release', 'AllIPv4'],
        list.map((i) => [i.name, i.state, i.ipv4[0] ?? '', '', i.release, i.ipv4.join(';')]),
      ),
    );
  else if (list.length === 0) ctx.stderr.write('No instances found.\n');
  else
    ctx.stdout.write(
      renderTable(
        ['Name', 'State', 'IPv4', 'Image'],
        list.map((i) => [i.name, i.state, i.ipv4[0] ?? '--', i.release]),
      ),
    );
  return 0;
}
