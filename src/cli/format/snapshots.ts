/**
 * @module Snapshots in Multipass's shapes: `list --snapshots` (overview) and `info --snapshots` /
 * `info NAME.SNAPSHOT` (details), as JSON documents, CSV and tables. Pure.
 */
import type { SnapshotJson } from '../../api/snapshots.js';
import { humanBytes } from './bytes.js';
import type { Renderers } from './render.js';

/** `list --snapshots --format json`. */
export interface SnapshotListDocument {
  errors: string[];
  info: Record<string, Record<string, { parent: string; comment: string }>>;
}

export function snapshotListDocument(snapshots: SnapshotJson[]): SnapshotListDocument {
  const info: SnapshotListDocument['info'] = {};
  for (const s of sorted(snapshots))
    (info[s.instance] ??= {})[s.name] = { parent: s.parent, comment: s.comment };
  return { errors: [], info };
}

const MAX_COMMENT_CELL = 50;

/** Multipass's table cell: the first line only, at most 50 characters (an ellipsis when cut). */
function commentCell(comment: string): string {
  if (comment === '') return '--';
  const newline = comment.indexOf('\n');
  const max = newline >= 0 ? Math.min(newline + 1, MAX_COMMENT_CELL) : MAX_COMMENT_CELL;
  return comment.length > max ? `${comment.slice(0, max - 1)}…` : comment;
}

export const snapshotListRenderers: Renderers<SnapshotListDocument> = {
  csv: ({ info }) => ({
    headers: ['Instance', 'Snapshot', 'Parent', 'Comment'],
    rows: rowsOf(info).map(([i, n, s]) => [i, n, s.parent, s.comment]),
  }),
  table: ({ info }) => {
    const rows = rowsOf(info);
    return rows.length === 0
      ? { note: 'No snapshots found.' }
      : {
          headers: ['Instance', 'Snapshot', 'Parent', 'Comment'],
          rows: rows.map(([i, n, s]) => [i, n, s.parent || '--', commentCell(s.comment)]),
        };
  },
};

function rowsOf(info: SnapshotListDocument['info']) {
  return Object.entries(info).flatMap(([instance, snaps]) =>
    Object.entries(snaps).map(([name, s]) => [instance, name, s] as const),
  );
}

/** One snapshot under `info.INSTANCE.snapshots.SNAPSHOT` of `info --format json`. */
export interface SnapshotInfoJson {
  size: string;
  cpu_count: string;
  disk_space: string;
  memory_size: string;
  mounts: Record<string, { source_path: string }>;
  created: string;
  parent: string;
  children: string[];
  comment: string;
  /** skiff's addition: memory was saved too (taken while running); a restore brings the instance back running. */
  memory_saved: boolean;
}

export function snapshotInfoJson(s: SnapshotJson): SnapshotInfoJson {
  return {
    size: '',
    cpu_count: String(s.cpu_count),
    disk_space: String(s.disk_bytes),
    memory_size: String(s.memory_bytes),
    mounts: Object.fromEntries(s.mounts.map((m) => [m.target_path, { source_path: m.source_path }])),
    created: localTime(s.created),
    parent: s.parent,
    children: s.children,
    comment: s.comment,
    memory_saved: s.memory,
  };
}

/** A creation time as Multipass shows it: local time, to the millisecond. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

export const SNAPSHOT_CSV_HEADERS = [
  'Snapshot',
  'Instance',
  'CPU(s)',
  'Disk space',
  'Memory size',
  'Mounts',
  'Created',
  'Parent',
  'Children',
  'Comment',
];

export function snapshotCsvRow(instance: string, name: string, s: SnapshotInfoJson): string[] {
  return [
    name,
    instance,
    s.cpu_count,
    s.disk_space,
    s.memory_size,
    Object.entries(s.mounts)
      .map(([target, m]) => `${m.source_path} => ${target}`)
      .join(';'),
    s.created,
    s.parent,
    s.children.join(';'),
    s.comment,
  ];
}

/** Multipass's block of `Key: value` lines for one snapshot (plus what skiff saved). */
export function snapshotBlock(instance: string, name: string, s: SnapshotInfoJson): string {
  const indent = ' '.repeat(16);
  const mounts = Object.entries(s.mounts);
  const width = Math.max(0, ...mounts.map(([, m]) => m.source_path.length));
  const rows: Array<[string, string]> = [
    ['Snapshot', name],
    ['Instance', instance],
    ['CPU(s)', s.cpu_count],
    ['Disk space', humanBytes(Number(s.disk_space))],
    ['Memory size', humanBytes(Number(s.memory_size))],
    ['Saved', s.memory_saved ? 'disk and memory (restores running)' : 'disk only'],
    [
      'Mounts',
      mounts.length === 0
        ? '--'
        : mounts.map(([t, m]) => `${m.source_path.padEnd(width)} => ${t}`).join(`\n${indent}`),
    ],
    ['Created', s.created],
    ['Parent', s.parent || '--'],
    ['Children', s.children.length === 0 ? '--' : s.children.join(`\n${indent}`)],
    ['Comment', s.comment === '' ? '--' : s.comment.replace(/\n/g, `\n${indent}`)],
  ];
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n')}\n`;
}

function sorted(snapshots: SnapshotJson[]): SnapshotJson[] {
  // By instance; within one, in the order they were taken (the daemon's order).
  return [...snapshots].sort((a, b) => a.instance.localeCompare(b.instance));
}
