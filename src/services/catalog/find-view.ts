/**
 * @module What `find` shows, by Multipass's rules: which images, in which order, under which key and aliases.
 * Pure: the caller passes the catalogs it has, in lookup order (release first, then daily). The JSON shape is
 * the daemon's to encode (daemon/routes/find-json.ts).
 */
import { SkiffError } from '../../core/errors.js';
import { matchImages, splitRemote } from './query.js';
import type { ImageInfo } from './types.js';
import { compareVersions } from './version-order.js';

/** The remote that needs no `remote:` prefix, as in Multipass. */
export const DEFAULT_REMOTE = 'release';

/** Aliases `find` never shows (one-letter aliases are dropped too), as Multipass's formatter does. */
const HIDDEN_ALIASES: ReadonlySet<string> = new Set(['default', 'ubuntu']);

/** One row of `find`: an image and how it is shown. Rows come in display order, each key once. */
export interface FindRow {
  /** `24.04`, `daily:25.10`, the search string, or the 12-digit id prefix an id search matched. */
  key: string;
  /** The aliases shown after the key. */
  aliases: string[];
  /** The remote's name; empty in `find STRING` results that only the default remote matched. */
  remote: string;
  image: ImageInfo;
}

/** Rows by key, in insertion (display) order; the first row of a key wins. */
type Rows = Map<string, FindRow>;

/** One remote's catalog. */
export interface RemoteImages {
  remote: string;
  images: readonly ImageInfo[];
}

export interface FindViewOptions {
  /** In lookup order: earlier remotes win when a release title or key is shown twice. */
  remotes: readonly RemoteImages[];
  /** `''`, `STRING`, `remote:` or `remote:STRING`. */
  query: string;
  showUnsupported: boolean;
}

/**
 * Builds the rows of `find`:
 * - blank query: the newest version of each product that has aliases, supported unless showUnsupported,
 *   one per release title across remotes (earlier remote wins), ordered by remote then release ascending
 *   (`9.10` < `22.04` < `24.04`, compared numerically part by part);
 * - `remote:` alone: every such image of that remote, all keys prefixed `remote:`, same order;
 * - `STRING` / `remote:STRING`: each match of the lookup rules, keyed by STRING (an id-prefix match is keyed
 *   by the first 12 hex digits of its id, as Multipass does), with empty `aliases`. Without a remote, the
 *   `remote` is empty unless several images matched and this one is not from the default remote.
 * Keys are the first alias left after dropping one-letter aliases, `default` and `ubuntu` (at least one is
 * kept), prefixed `remote:` for any remote but the default one; the rest are `aliases`. In a blank find,
 * `remote` names the remote, `release` included, as in the reference's JSON shape.
 * @throws SkiffError `invalid-argument` for a `remote:` prefix naming no given remote.
 */
export function buildFindView(opts: FindViewOptions): FindRow[] {
  const { remote: requested, name } = splitRemote(opts.query.trim());
  const show = opts.showUnsupported;
  if (requested !== null) {
    const one = opts.remotes.find((r) => r.remote === requested);
    if (one === undefined) {
      const known = opts.remotes.map((r) => r.remote).join(', ');
      throw new SkiffError('invalid-argument', `unknown remote "${requested}" (known: ${known})`, {
        details: { remote: requested },
      });
    }
    return [...(name === '' ? listRemote(one, show) : search([one], name, true, show)).values()];
  }
  return [...(name === '' ? listAll(opts.remotes, show) : search(opts.remotes, name, false, show)).values()];
}

/** Multipass's alias filter: drop one-letter aliases, `default` and `ubuntu`, from the end, keeping one. */
export function displayAliases(aliases: readonly string[]): string[] {
  const kept = [...aliases];
  for (let i = kept.length - 1; i >= 0 && kept.length > 1; i--) {
    const alias = kept[i]!;
    if (alias.length === 1 || HIDDEN_ALIASES.has(alias)) kept.splice(i, 1);
  }
  return kept;
}

function listAll(remotes: readonly RemoteImages[], show: boolean): Rows {
  const out: Rows = new Map();
  const titles = new Set<string>();
  for (const { remote, images } of remotes) {
    for (const image of listable(images, show)) {
      // Release first, then daily: `daily:24.04` is not listed when release already has `24.04 LTS`.
      if (titles.has(image.releaseTitle)) continue;
      titles.add(image.releaseTitle);
      // The reference shape: no key prefix for the default remote, but its name in `remote`.
      addEntry(out, remote, image.aliases, image, remote === DEFAULT_REMOTE ? '' : `${remote}:`);
    }
  }
  return out;
}

function listRemote({ remote, images }: RemoteImages, show: boolean): Rows {
  const out: Rows = new Map();
  for (const image of listable(images, show)) addEntry(out, remote, image.aliases, image);
  return out;
}

function search(remotes: readonly RemoteImages[], name: string, explicit: boolean, show: boolean): Rows {
  const found: Array<{ remote: string; image: ImageInfo; key: string }> = [];
  for (const { remote, images } of remotes) {
    const match = matchImages(images, name, { showUnsupported: show });
    for (const image of match.images) {
      found.push({ remote, image, key: match.kind === 'id' ? image.id.slice(0, 12) : name });
    }
  }
  const out: Rows = new Map();
  for (const { remote, image, key } of found) {
    // Multipass names the remote only when asked for, or to tell several matches apart.
    const shown = explicit || (found.length > 1 && remote !== DEFAULT_REMOTE) ? remote : '';
    addEntry(out, shown, [key], image);
  }
  return out;
}

function listable(images: readonly ImageInfo[], show: boolean): ImageInfo[] {
  return images
    .filter((image) => image.aliases.length > 0 && (image.supported || show))
    .sort((a, b) => compareVersions(a.release, b.release) || compareVersions(a.version, b.version));
}

function addEntry(
  out: Rows,
  remote: string,
  aliases: readonly string[],
  image: ImageInfo,
  prefix = remote === '' ? '' : `${remote}:`,
): void {
  const [first, ...rest] = displayAliases(aliases);
  if (first === undefined) return;
  const key = `${prefix}${first}`;
  // First one wins: remotes and matches arrive in lookup order.
  if (!out.has(key)) out.set(key, { key, aliases: rest, remote, image });
}
