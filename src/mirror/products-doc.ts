/**
 * @module Pure edits of a simplestreams tree's two documents (index and `image-downloads` products file):
 * add one image version, keep every other version, move aliases with the product, refuse alias clashes.
 */
import { SkiffError } from '../core/errors.js';
import type { PublishOptions, Stream } from './publish-options.js';
import { SERIAL } from './publish-options.js';

/** The image being published, already hashed. */
export interface PublishedItem {
  sizeBytes: number;
  sha256: string;
  md5: string;
}

type Json = Record<string, unknown>;

export interface StreamDocs {
  index: Json;
  products: Json;
}

export interface PublishPlan {
  docs: StreamDocs;
  product: string;
  serial: string;
  /** Path of the image relative to the stream's base (e.g. `ubuntu/noble/20251125/ubuntu-24.04-amd64.img`). */
  itemPath: string;
  /** True when the tree already holds exactly this: nothing to write. */
  noop: boolean;
}

export const INDEX_PATH = 'streams/v1/index.json';

export function contentId(stream: Stream): string {
  return stream === 'daily' ? 'com.ubuntu.cloud:daily:download' : 'com.ubuntu.cloud:released:download';
}

export function productsPath(stream: Stream): string {
  return `streams/v1/${contentId(stream)}.json`;
}

/** Ubuntu's product naming for Ubuntu images; a skiff-owned prefix for any other OS. */
export function productName(o: PublishOptions): string {
  const daily = o.stream === 'daily' ? '.daily' : '';
  return o.os === 'ubuntu'
    ? `com.ubuntu.cloud${daily}:server:${o.version}:${o.arch}`
    : `org.skiff.mirror${daily}:${o.os}:${o.version}:${o.arch}`;
}

/**
 * Adds `item` as a version of the product described by `o` to the existing documents (null: a new tree).
 * `now` gives the default serial (YYYYMMDD, then .1, .2 ... if that serial holds another image) and `updated`.
 * @throws SkiffError('invalid-argument') when an alias belongs to another product; ('conflict') when the
 *   requested serial already holds a different image.
 */
export function planPublish(
  existing: StreamDocs | null,
  o: PublishOptions,
  item: PublishedItem,
  now: Date,
): PublishPlan {
  const products: Json = structuredClone((existing?.products['products'] as Json | undefined) ?? {});
  const name = productName(o);
  checkAliasClash(products, name, o.aliases);
  const current = (products[name] as Json | undefined) ?? {};
  const versions: Json = { ...((current['versions'] as Json | undefined) ?? {}) };
  const same = Object.entries(versions).find(([, v]) => diskItem(v)?.['sha256'] === item.sha256);
  const serial = o.serial ?? same?.[0] ?? freeSerial(versions, now);
  const held = diskItem(versions[serial]);
  if (held && held['sha256'] !== item.sha256) {
    throw new SkiffError(
      'conflict',
      `version ${serial} of ${name} already holds another image (sha256 ${String(held['sha256'])}); choose another --serial`,
    );
  }
  const itemPath = held
    ? String(held['path'])
    : `${o.os}/${o.codename}/${serial}/${o.os}-${o.version}-${o.arch}.img`;
  versions[serial] = {
    items: {
      'disk1.img': {
        ftype: 'disk1.img',
        path: itemPath,
        size: item.sizeBytes,
        sha256: item.sha256,
        md5: item.md5,
      },
    },
    label: o.stream === 'daily' ? 'daily' : 'release',
    pubname: `${o.os}-${o.codename}-${o.version}-${o.arch}-${serial}`,
  };
  products[name] = {
    aliases: o.aliases.join(','),
    arch: o.arch,
    os: o.os,
    release: o.codename,
    release_title: o.title,
    supported: o.supported,
    version: o.version,
    versions: sortVersions(versions),
  };
  const sorted = Object.fromEntries(
    Object.keys(products)
      .sort()
      .map((k) => [k, products[k]]),
  );
  const unchanged =
    existing !== null && JSON.stringify(existing.products['products']) === JSON.stringify(sorted);
  const updated = unchanged ? String(existing.products['updated']) : rfc2822(now);
  return {
    docs: {
      products: productsDoc(o.stream, sorted, updated),
      index: indexDoc(o.stream, Object.keys(sorted), updated),
    },
    product: name,
    serial,
    itemPath,
    noop: unchanged,
  };
}

function checkAliasClash(products: Json, name: string, aliases: string[]): void {
  for (const [other, product] of Object.entries(products)) {
    if (other === name) continue;
    const taken = String((product as Json)['aliases'] ?? '').split(',');
    const clash = aliases.filter((a) => taken.includes(a));
    if (clash.length > 0) {
      throw new SkiffError(
        'invalid-argument',
        `alias ${clash.map((a) => `"${a}"`).join(', ')} already belongs to ${other}; an alias can name only one product`,
      );
    }
  }
}

function diskItem(version: unknown): Json | undefined {
  const items = (version as Json | undefined)?.['items'] as Json | undefined;
  return items?.['disk1.img'] as Json | undefined;
}

function freeSerial(versions: Json, now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  if (!(day in versions)) return day;
  for (let n = 1; ; n++) if (!(`${day}.${n}` in versions)) return `${day}.${n}`;
}

function sortVersions(versions: Json): Json {
  const key = (s: string) => {
    const m = SERIAL.exec(s);
    return m ? Number(`${m[1]}${m[2]}${m[3]}`) * 1000 + Number(m[4] ?? 0) : 0;
  };
  return Object.fromEntries(
    Object.keys(versions)
      .sort((a, b) => key(a) - key(b))
      .map((k) => [k, versions[k]]),
  );
}

function productsDoc(stream: Stream, products: Json, updated: string): Json {
  return {
    content_id: contentId(stream),
    datatype: 'image-downloads',
    format: 'products:1.0',
    creator: 'skiff mirror build',
    updated,
    products,
  };
}

function indexDoc(stream: Stream, productNames: string[], updated: string): Json {
  return {
    format: 'index:1.0',
    updated,
    index: {
      [contentId(stream)]: {
        datatype: 'image-downloads',
        format: 'products:1.0',
        path: productsPath(stream),
        products: productNames,
        updated,
      },
    },
  };
}

/** RFC 2822 date as simplestreams uses, e.g. `Tue, 25 Nov 2026 12:00:00 +0000`. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
