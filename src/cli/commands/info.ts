/**
 * @module `skiff info [NAMES...|--all]`: details in Multipass's shapes.
 */
import type { InstanceInfoJson } from '../../api/contract.js';
import { isSkiffError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { humanBytes } from '../format/bytes.js';
import { parseFormat } from '../format/formats.js';
import { guestFactsNote } from '../format/guest-facts.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, flag, formatOption, operand } from '../verb.js';
import { mountsValue } from '../format/mounts-table.js';

interface InfoDocument {
  errors: string[];
  info: Record<string, InstanceInfoJson>;
}

export const verb = defineVerb({
  name: 'info',
  description: 'Show instance details',
  operands: { names: operand('[names...]', 'instance names (default: all)') },
  options: { all: flag('--all', 'every instance'), format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const names =
      args.all || args.names.length === 0
        ? (await ctx.withDaemon((c) => c.list())).list.map((i) => i.name)
        : args.names;
    const document: InfoDocument = { errors: [], info: {} };
    for (const name of names) {
      try {
        document.info[name] = await ctx.withDaemon((c) => c.info(name));
      } catch (error) {
        if (!isSkiffError(error) || error.code !== 'not-found') throw error;
        document.errors.push(error.message);
      }
    }
    const out = await render(format, document, renderers);
    ctx[out.stream].write(out.text);
    for (const error of document.errors) ctx.stderr.write(`${error}\n`);
    return document.errors.length > 0 ? EXIT.failed : EXIT.ok;
  },
});

const renderers: Renderers<InfoDocument> = {
  csv: ({ info }) => ({
    headers: [
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
    rows: Object.entries(info).map(([name, i]) => {
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
  }),
  // One block of "Key: value" lines per instance, as Multipass lays it out.
  table: ({ info }) =>
    Object.entries(info)
      .map(([name, i]) => block(name, i))
      .join('\n'),
};

const NETWORK_WORDS = {
  nat: "NAT (skiff's bridge)",
  user: 'user-mode (reach it with exec, shell or forward)',
};

function block(name: string, i: InstanceInfoJson): string {
  const disk = Object.values(i.disks)[0];
  const rows: Array<[string, string]> = [
    ['Name', name],
    ['State', i.state],
    ['Snapshots', i.snapshot_count],
    ['IPv4', i.ipv4.join('\n                ') || '--'],
    ...(i.network_mode ? [['Network', NETWORK_WORDS[i.network_mode]] as [string, string]] : []),
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
    ['Mounts', mountsValue(i.mounts)],
  ];
  const note = guestFactsNote(i.guest_facts);
  if (note) rows.push(['Guest facts', note]);
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n')}\n`;
}
