/**
 * @module Pure (de)serialisation of the vault index and of partial-download sidecars. Decoding never trusts the
 * file: each bad entry is dropped with a reason naming its field, so one damaged record cannot hide the others.
 */
import { isSha256 } from './layout.js';
import type { ImageOrigin, VaultImage } from './types.js';

/** Schema version of `index.json`. */
export const INDEX_SCHEMA = 1;
/** Schema version of a partial download's sidecar. */
export const SIDECAR_SCHEMA = 1;

/** An index entry: a VaultImage without its path, which follows from the vault directory and the id. */
export type ImageRecord = Omit<VaultImage, 'path'>;

export interface IndexJson {
  images: ImageRecord[];
}

/** What a partial download needs to resume after a restart. */
export interface Sidecar {
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** The checksum the finished download must have, when the catalog gave one. */
  expectedSha256: string | null;
  totalBytes: number | null;
  /** When the last attempt started (a partial nobody tried for long is pruned). */
  startedAtMs: number;
}

/** The index as written to disk. */
export function encodeIndex(images: Iterable<ImageRecord>): IndexJson {
  return {
    images: [...images].map((r) => ({ ...r, usedBy: [...r.usedBy].sort() })).sort((a, b) => cmp(a.id, b.id)),
  };
}

/** Reads index data; returns the valid records and one message per dropped entry. */
export function decodeIndex(data: unknown): { images: ImageRecord[]; problems: string[] } {
  const problems: string[] = [];
  const list = (data as { images?: unknown } | null)?.images;
  if (!Array.isArray(list)) return { images: [], problems: ['images: expected an array'] };
  const images: ImageRecord[] = [];
  const seen = new Set<string>();
  list.forEach((raw: unknown, i) => {
    try {
      const record = decodeRecord(raw);
      if (seen.has(record.id)) throw new Error('id: duplicate');
      seen.add(record.id);
      images.push(record);
    } catch (error) {
      problems.push(`images[${i}].${(error as Error).message}`);
    }
  });
  return { images, problems };
}

/** Reads a sidecar; throws naming the field when it is not one. */
export function decodeSidecar(data: unknown): Sidecar {
  const o = object(data, '');
  return {
    url: str(o, 'url'),
    etag: nullable(o, 'etag', str),
    lastModified: nullable(o, 'lastModified', str),
    expectedSha256: nullable(o, 'expectedSha256', sha),
    totalBytes: nullable(o, 'totalBytes', count),
    startedAtMs: count(o, 'startedAtMs'),
  };
}

/** The If-Range validator a sidecar allows, preferring the strong ETag; null when it cannot resume safely. */
export function ifRangeOf(sidecar: Pick<Sidecar, 'etag' | 'lastModified'>): string | null {
  return sidecar.etag ?? sidecar.lastModified;
}

function decodeRecord(raw: unknown): ImageRecord {
  const o = object(raw, '');
  const usedBy = o.usedBy;
  if (!Array.isArray(usedBy) || !usedBy.every((u) => typeof u === 'string' && u !== ''))
    throw new Error('usedBy: expected an array of instance names');
  return {
    id: sha(o, 'id'),
    sizeBytes: count(o, 'sizeBytes'),
    source: decodeOrigin(o.source),
    fetchedAtMs: count(o, 'fetchedAtMs'),
    lastUsedMs: count(o, 'lastUsedMs'),
    usedBy: [...new Set(usedBy as string[])],
  };
}

function decodeOrigin(raw: unknown): ImageOrigin {
  const o = object(raw, 'source');
  switch (o.kind) {
    case 'catalog': {
      const aliases = o.aliases;
      if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string'))
        throw new Error('source.aliases: expected an array of strings');
      const field = (name: string) => str(o, name, 'source.');
      return {
        kind: 'catalog',
        remote: field('remote'),
        product: field('product'),
        release: field('release'),
        releaseTitle: field('releaseTitle'),
        codename: field('codename'),
        version: field('version'),
        aliases: aliases as string[],
        url: field('url'),
        sha256: sha(o, 'sha256', 'source.'),
      };
    }
    case 'url':
      return { kind: 'url', url: str(o, 'url', 'source.'), sha256: sha(o, 'sha256', 'source.') };
    case 'file':
      return {
        kind: 'file',
        path: str(o, 'path', 'source.'),
        sizeBytes: count(o, 'sizeBytes', 'source.'),
        mtimeMs: count(o, 'mtimeMs', 'source.'),
      };
    case 'unknown':
      return { kind: 'unknown' };
    default:
      throw new Error(`source.kind: unknown kind ${JSON.stringify(o.kind)}`);
  }
}

type Obj = Record<string, unknown>;

function object(raw: unknown, path: string): Obj {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${path || 'entry'}: expected an object`);
  return raw as Obj;
}

function str(o: Obj, key: string, prefix = ''): string {
  const value = o[key];
  if (typeof value !== 'string' || value === '')
    throw new Error(`${prefix}${key}: expected a non-empty string`);
  return value;
}

function sha(o: Obj, key: string, prefix = ''): string {
  const value = o[key];
  if (typeof value !== 'string' || !isSha256(value)) throw new Error(`${prefix}${key}: expected a sha256`);
  return value;
}

function count(o: Obj, key: string, prefix = ''): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Error(`${prefix}${key}: expected a non-negative integer`);
  return value;
}

function nullable<T>(o: Obj, key: string, read: (o: Obj, key: string) => T): T | null {
  return o[key] === null || o[key] === undefined ? null : read(o, key);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
