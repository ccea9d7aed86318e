/**
 * @module Multipass's image lookup rules over one remote's images: blank means `default`; then an exact
 * alias (only the newest version of a product carries aliases); then a release number or codename (a skiff
 * addition, newest version of that product); then a prefix of the image id (sha256). Unsupported products
 * only match with `showUnsupported`. Pure: the caller picks the remote.
 */
import { SkiffError } from '../../core/errors.js';
import type { ImageInfo } from './types.js';
import { compareVersions } from './version-order.js';

/** The alias a blank query means, as in Multipass. */
export const DEFAULT_ALIAS = 'default';

const HEX = /^[0-9a-f]+$/;

/** Lookup tables over one remote's images; build once per catalog snapshot with indexImages. */
export interface ImageIndex {
  readonly images: readonly ImageInfo[];
  /** alias → images carrying it, in catalog order (normally exactly one). */
  readonly byAlias: ReadonlyMap<string, readonly ImageInfo[]>;
  /** release number or codename → the newest image of each product that has it. */
  readonly byRelease: ReadonlyMap<string, readonly ImageInfo[]>;
  /** One image per distinct id, sorted by id, for prefix search. */
  readonly byId: readonly ImageInfo[];
}

/** Which rule matched: `alias`, `release` (number or codename) or `id` (prefix of the sha256). */
export type MatchKind = 'alias' | 'release' | 'id';

/** The outcome of the first rule that matched anything. */
export interface ImageMatch {
  /** null when no rule matched. */
  kind: MatchKind | null;
  /** Matches that may be used; for `id`, one per distinct id. */
  images: ImageInfo[];
  /** Matches left out because their product is unsupported and `showUnsupported` was not set. */
  hidden: ImageInfo[];
}

export interface QueryOptions {
  /** Let unsupported (end-of-life) products match, like `--show-unsupported`. */
  showUnsupported?: boolean;
}

/** Builds the lookup tables of one remote's images. O(n log n); cheap next to parsing. */
export function indexImages(images: readonly ImageInfo[]): ImageIndex {
  const byAlias = new Map<string, ImageInfo[]>();
  const newestOfProduct = new Map<string, ImageInfo>();
  const firstOfId = new Map<string, ImageInfo>();
  for (const image of images) {
    for (const alias of image.aliases) push(byAlias, alias, image);
    const newest = newestOfProduct.get(image.product);
    if (newest === undefined || compareVersions(image.version, newest.version) > 0) {
      newestOfProduct.set(image.product, image);
    }
    if (!firstOfId.has(image.id)) firstOfId.set(image.id, image);
  }
  // Multipass gives the current LTS the extra alias `ubuntu`; honour it unless the stream defines it itself.
  const lts = byAlias.get('lts');
  if (lts !== undefined && !byAlias.has('ubuntu')) byAlias.set('ubuntu', lts);
  const byRelease = new Map<string, ImageInfo[]>();
  for (const image of newestOfProduct.values()) {
    push(byRelease, image.release, image);
    if (image.codename !== image.release) push(byRelease, image.codename, image);
  }
  const byId = [...firstOfId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { images, byAlias, byRelease, byId };
}

/**
 * Applies the lookup rules in order and returns the first rule that matched anything (even if only
 * unsupported images), so that an unsupported alias is reported as such rather than retried as an id prefix.
 */
export function matchImages(
  source: readonly ImageInfo[] | ImageIndex,
  query: string,
  opts: QueryOptions = {},
): ImageMatch {
  const index = isIndex(source) ? source : indexImages(source);
  const name = query.trim() === '' ? DEFAULT_ALIAS : query.trim();
  const show = opts.showUnsupported === true;
  const alias = index.byAlias.get(name);
  if (alias !== undefined) return split('alias', alias, show);
  const release = index.byRelease.get(name);
  if (release !== undefined) return split('release', release, show);
  const prefix = name.toLowerCase();
  if (HEX.test(prefix)) {
    const ids = idsWithPrefix(index.byId, prefix);
    if (ids.length > 0) return split('id', ids, show);
  }
  return { kind: null, images: [], hidden: [] };
}

/**
 * Resolves a query to exactly one image of this remote.
 * @throws SkiffError `not-found` when nothing matches, or only unsupported images do (the message suggests
 *   `--show-unsupported`; details.unsupported is true); `invalid-argument` when an id prefix matches several
 *   images (details.candidates is their count).
 * @example resolveImage(images, '') // the image aliased `default`
 */
export function resolveImage(
  source: readonly ImageInfo[] | ImageIndex,
  query: string,
  opts: QueryOptions = {},
): ImageInfo {
  const match = matchImages(source, query, opts);
  const shown = query.trim() === '' ? DEFAULT_ALIAS : query.trim();
  const [first] = match.images;
  if (first === undefined) {
    const [hidden] = match.hidden;
    if (hidden !== undefined) {
      throw new SkiffError(
        'not-found',
        `image "${shown}" (${hidden.os} ${hidden.releaseTitle}) is no longer supported; use --show-unsupported to use it anyway`,
        { details: { query: shown, unsupported: true } },
      );
    }
    throw new SkiffError('not-found', `no image matching "${shown}"`, { details: { query: shown } });
  }
  if (match.kind === 'id' && match.images.length > 1) {
    throw new SkiffError(
      'invalid-argument',
      `"${shown}" is ambiguous: it is a prefix of ${match.images.length} image ids; give more characters`,
      { details: { query: shown, candidates: match.images.length } },
    );
  }
  return first;
}

/**
 * Splits `remote:name` into its parts; no colon means no remote. Used for `find daily:noble` and
 * `launch daily:noble`. @throws SkiffError('invalid-argument') for an empty remote (`:noble`, `:`).
 */
export function splitRemote(query: string): { remote: string | null; name: string } {
  const colon = query.indexOf(':');
  if (colon === -1) return { remote: null, name: query };
  if (colon === 0) {
    throw new SkiffError(
      'invalid-argument',
      `"${query}" has no remote name before ":" (write e.g. daily:noble, or just noble)`,
      { details: { field: 'image', query } },
    );
  }
  return { remote: query.slice(0, colon), name: query.slice(colon + 1) };
}

function split(kind: MatchKind, candidates: readonly ImageInfo[], show: boolean): ImageMatch {
  const images: ImageInfo[] = [];
  const hidden: ImageInfo[] = [];
  for (const image of candidates) (image.supported || show ? images : hidden).push(image);
  return { kind, images, hidden };
}

function idsWithPrefix(byId: readonly ImageInfo[], prefix: string): ImageInfo[] {
  let low = 0;
  let high = byId.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (byId[mid]!.id < prefix) low = mid + 1;
    else high = mid;
  }
  const found: ImageInfo[] = [];
  for (let i = low; i < byId.length && byId[i]!.id.startsWith(prefix); i++) found.push(byId[i]!);
  return found;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function isIndex(source: readonly ImageInfo[] | ImageIndex): source is ImageIndex {
  return !Array.isArray(source);
}
