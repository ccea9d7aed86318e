/**
 * @module `skiff info [NAMES...|--all]`: details in Multipass's shapes.
 */
import type { InstanceInfoJson } from '../../api/contract.js';
import { isSkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { humanBytes } from '../format/bytes.js';
import { guestFactsNote } from '../format/guest-facts.js';
import { renderCsv } from '../format/csv.js';
import { parseFormat, renderJson, renderYaml } from '../format/formats.js';
import { EXIT } from '../exit-codes.js';

export async function run(
  args: { names: string[]; all?: boolean; format?: string },
  ctx: CliContext,
): Promise<number> {
  const format = parseFormat(args.format);
  const names =
    args.all || args.names.length === 0
      ? (await ctx.withDaemon((c) => c.list())).list.map((i) => i.name)
      : args.names;
  const info: Record<string, InstanceInfoJson> = {};
  const errors: string[] = [];
  for (const name of names) {
    try {
      info[name] = await ctx.withDaemon((c) => c.info(name));
    } catch (error) {
      if (!isSkiffError(error) || error.code !== 'not-found') throw error;
      errors.push(error.message);
    }
  }
  if (format === 'json') ctx.stdout.write(renderJson({ errors, info }));
  else if (format === 'yaml') ctx.stdout.write(await renderYaml({ errors, info }));
  else if (format === 'csv') {
    ctx.stdout.write(
      renderCsv(
        [
          'Name',
          'State',
          'Ipv4',
          'Release',
          'Image hash',
          'Image release',
          'Load',
          'Disk usage',
          'Disk total',
          'Memory usage',
          'Memory total',
          'Cpu(s)',
          'Snapshots',
        ],
        Object.entries(info).map(([name, i]) => {
          const disk = Object.values(i.disks)[0];
          return [
            name,
            i.state,
            i.ipv4.join(';'),
            i.release,
            i.image_hash,
            i.image_release,
            i.load.join(' '),
            disk?.used ?? '',
            disk?.total ?? '',
            String(i.memory.used ?? ''),
            String(i.memory.total ?? ''),
            i.cpu_count,
            i.snapshot_count,
          ];
        }),
      ),
    );
  } else
    ctx.stdout.write(
      Object.entries(info)
        .map(([name, i]) => table(name, i))
        .join('\n'),
    );
  for (const error of errors) ctx.stderr.write(`${error}\n`);
  return errors.length > 0 ? EXIT.failed : EXIT.ok;
}

function table(name: string, i: InstanceInfoJson): string {
  const disk = Object.values(i.disks)[0];
  const rows: Array<[string, string]> = [
    ['Name', name],
    ['State', i.state],
    ['Snapshots', i.snapshot_count],
    ['IPv4', i.ipv4.join('\n                ') || '--'],
    ['Release', i.release || '--'],
    [
      'Image hash',
      i.image_hash ? `${i.image_hash.slice(0, 12)}${i.image_release ? ` (${i.image_release})` : ''}` : '--',
    ],
    ['CPU(s)', i.cpu_count],
    ['Load', i.load.length ? i.load.join(' ') : '--'],
    ['Disk usage', disk ? `${humanBytes(Number(disk.used))} out of ${humanBytes(Number(disk.total))}` : '--'],
    [
      'Memory usage',
      i.memory.total ? `${humanBytes(i.memory.used ?? 0)} out of ${humanBytes(i.memory.total)}` : '--',
    ],
    ['Mounts', '--'],
  ];
  const note = guestFactsNote(i.guest_facts);
  if (note) rows.push(['Guest facts', note]);
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n')}\n`;
}
