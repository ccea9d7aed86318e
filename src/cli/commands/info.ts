/**
 * @module `skiff info [NAMES...|--all]`: details in Multipass's shapes.
 */
import type { InstanceInfoJson } from '../../api/contract.js';
import type { SnapshotJson } from '../../api/snapshots.js';
import { SkiffError, isSkiffError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { humanBytes } from '../format/bytes.js';
import { parseFormat } from '../format/formats.js';
import { guestFactsNote } from '../format/guest-facts.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, flag, formatOption, operand } from '../verb.js';
import { mountsValue } from '../format/mounts-table.js';
import {
  SNAPSHOT_CSV_HEADERS,
  snapshotBlock,
  snapshotCsvRow,
  snapshotInfoJson,
  type SnapshotInfoJson,
} from '../format/snapshots.js';
import { requireSnapshotRef, snapshotRef } from '../snapshot-ref.js';

/** An instance's details, its snapshots' details, or both (Multipass's JSON merges them under the name). */
type InfoEntry = Partial<InstanceInfoJson> & { snapshots?: Record<string, SnapshotInfoJson> };

interface InfoDocument {
  errors: string[];
  info: Record<string, InfoEntry>;
}

const isInstance = (entry: InfoEntry): entry is InstanceInfoJson & InfoEntry => entry.state !== undefined;

export const verb = defineVerb({
  name: 'info',
  description: 'Show instance details',
  operands: {
    names: operand('[names...]', 'instance names, or INSTANCE.SNAPSHOT for a snapshot (default: all)'),
  },
  options: {
    all: flag('--all', 'every instance'),
    snapshots: flag('--snapshots', 'the details of the snapshots of the instances (default: all) instead'),
    format: formatOption,
  },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const refs = args.names.filter((n) => snapshotRef(n) !== null).map((n) => requireSnapshotRef(n, 'show'));
    const plain = args.names.filter((n) => snapshotRef(n) === null);
    const everything = args.all || args.names.length === 0;
    const names = everything ? (await ctx.withDaemon((c) => c.list())).list.map((i) => i.name) : plain;
    const document: InfoDocument = { errors: [], info: {} };
    const attempt = async (work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        if (!isSkiffError(error) || error.code !== 'not-found') throw error;
        document.errors.push(error.message);
      }
    };
    const addSnapshot = (s: SnapshotJson): void => {
      ((document.info[s.instance] ??= {}).snapshots ??= {})[s.name] = snapshotInfoJson(s);
    };
    if (args.snapshots) {
      if (everything) (await ctx.withDaemon((c) => c.snapshots())).snapshots.forEach(addSnapshot);
      else
        for (const name of names)
          await attempt(async () =>
            (await ctx.withDaemon((c) => c.snapshots(name))).snapshots.forEach(addSnapshot),
          );
    } else
      for (const name of names)
        await attempt(async () => {
          document.info[name] = { ...(await ctx.withDaemon((c) => c.info(name))), ...document.info[name] };
        });
    for (const ref of refs)
      await attempt(async () =>
        addSnapshot(await ctx.withDaemon((c) => c.snapshot(ref.instance, ref.snapshot))),
      );
    const entries = Object.values(document.info);
    if (format === 'csv' && entries.some(isInstance) && entries.some((e) => e.snapshots !== undefined))
      throw new SkiffError(
        'invalid-argument',
        'info: the csv format cannot show instances and snapshots together',
      );
    const out = await render(format, document, renderers);
    ctx[out.stream].write(out.text);
    for (const error of document.errors) ctx.stderr.write(`${error}\n`);
    return document.errors.length > 0 ? EXIT.failed : EXIT.ok;
  },
});

const renderers: Renderers<InfoDocument> = {
  csv: ({ info }) =>
    Object.values(info).some((e) => !isInstance(e))
      ? {
          headers: SNAPSHOT_CSV_HEADERS,
          rows: Object.entries(info).flatMap(([instance, e]) =>
            Object.entries(e.snapshots ?? {}).map(([name, s]) => snapshotCsvRow(instance, name, s)),
          ),
        }
      : instancesCsv(info as Record<string, InstanceInfoJson>),
  // One block of "Key: value" lines per instance, then per snapshot, as Multipass lays it out.
  table: ({ info }) => {
    const blocks = [
      ...Object.entries(info).flatMap(([name, e]) => (isInstance(e) ? [block(name, e)] : [])),
      ...Object.entries(info).flatMap(([instance, e]) =>
        Object.entries(e.snapshots ?? {}).map(([name, s]) => snapshotBlock(instance, name, s)),
      ),
    ];
    return blocks.length === 0 ? { note: 'No snapshots found.' } : blocks.join('\n');
  },
};

function instancesCsv(info: Record<string, InstanceInfoJson>) {
  return {
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
  };
}

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
