/**
 * @module What `Vault.init` does to the disk: drop index entries whose file is gone, adopt final files the
 * index lost, delete temp files of finished or broken work, and keep partial downloads that can resume.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { idOfImageFile, PARTIAL_SUFFIX, type VaultLayout } from './layout.js';
import { readJson } from '../persist/atomic-json.js';
import { decodeIndex, ifRangeOf, INDEX_SCHEMA, type ImageRecord, type Sidecar } from './records.js';
import { readSidecar } from './install.js';
import type { VaultLog } from './types.js';

/**
 * Reads the index and makes it agree with the images folder. An unreadable index is set aside (kept for
 * inspection) and the images are adopted from the folder. `changed`: the index must be written back.
 */
export async function loadIndex(
  layout: VaultLayout,
  nowMs: number,
  log: VaultLog,
): Promise<{ records: ImageRecord[]; changed: boolean }> {
  let indexed: ImageRecord[] = [];
  let changed = false;
  try {
    const decoded = decodeIndex((await readJson<unknown>(layout.index, INDEX_SCHEMA)) ?? { images: [] });
    indexed = decoded.images;
    for (const problem of decoded.problems) log.warn({ problem }, 'dropped a damaged vault index entry');
    changed = decoded.problems.length > 0;
  } catch (error) {
    const aside = `${layout.index}.corrupt-${nowMs}`;
    await rename(layout.index, aside).catch(() => undefined);
    log.warn({ err: error, movedTo: aside }, 'vault index unreadable; rebuilding it from the image files');
    changed = true;
  }
  const reconciled = await reconcileImages(layout, indexed, log);
  return { records: reconciled.records, changed: changed || reconciled.changed };
}

/** Makes the index and the images folder agree; the folder wins (a file is never deleted for lack of a record). */
export async function reconcileImages(
  layout: VaultLayout,
  indexed: ImageRecord[],
  log: VaultLog,
): Promise<{ records: ImageRecord[]; changed: boolean }> {
  let changed = false;
  const onDisk = new Map<string, { size: number; mtimeMs: number }>();
  for (const name of await readdir(layout.imagesDir)) {
    const id = idOfImageFile(name);
    const path = join(layout.imagesDir, name);
    if (id === null) {
      // Only the vault writes here; anything else is the leftover of an interrupted rename or copy.
      await rm(path, { force: true, recursive: true });
      log.warn({ path }, 'removed a stray file from the image cache');
      continue;
    }
    const info = await stat(path);
    onDisk.set(id, { size: info.size, mtimeMs: Math.trunc(info.mtimeMs) });
  }
  const records: ImageRecord[] = [];
  for (const record of indexed) {
    const file = onDisk.get(record.id);
    if (file === undefined) {
      changed = true;
      log.warn(
        { id: record.id, usedBy: record.usedBy },
        'cached image file is missing; dropped from the index',
      );
      continue;
    }
    onDisk.delete(record.id);
    if (file.size !== record.sizeBytes) {
      changed = true;
      log.warn(
        { id: record.id, was: record.sizeBytes, now: file.size },
        'cached image size differs from the index',
      );
    }
    records.push({ ...record, sizeBytes: file.size });
  }
  for (const [id, file] of onDisk) {
    changed = true;
    log.warn({ id }, 'adopted a cached image the index did not list');
    records.push({
      id,
      sizeBytes: file.size,
      source: { kind: 'unknown' },
      fetchedAtMs: file.mtimeMs,
      lastUsedMs: file.mtimeMs,
      usedBy: [],
    });
  }
  return { records, changed };
}

/**
 * Keeps `<key>.part` files that have a usable sidecar (unless `obsolete` says they are no longer wanted);
 * removes every other file in `partial/` except those of `active` downloads.
 */
export async function reconcilePartials(
  layout: VaultLayout,
  log: VaultLog,
  options: { active?: ReadonlySet<string>; obsolete?: (sidecar: Sidecar) => boolean } = {},
): Promise<string[]> {
  const names = await readdir(layout.partialDir);
  const keep = new Set<string>(options.active);
  for (const name of names) {
    if (!name.endsWith(PARTIAL_SUFFIX.part)) continue;
    const key = name.slice(0, -PARTIAL_SUFFIX.part.length);
    const sidecar = await readSidecar(layout.sidecar(key));
    if (sidecar !== null && ifRangeOf(sidecar) !== null && !options.obsolete?.(sidecar)) keep.add(key);
  }
  for (const name of names) {
    const key = keyOf(name);
    // Decompression output is never resumed, only a running one is kept.
    const unpack = name.endsWith(PARTIAL_SUFFIX.unpack);
    if (key !== null && (unpack ? options.active?.has(key) : keep.has(key))) continue;
    // While downloads may run, a dot-file is a sidecar being written (an atomic write's temp file).
    if (name.startsWith('.') && options.active !== undefined) continue;
    await rm(join(layout.partialDir, name), { force: true, recursive: true });
    log.info({ file: name }, 'removed an unfinished download that will not be resumed');
  }
  return [...keep].filter((key) => !options.active?.has(key));
}

function keyOf(name: string): string | null {
  for (const suffix of [PARTIAL_SUFFIX.part, PARTIAL_SUFFIX.sidecar, PARTIAL_SUFFIX.unpack]) {
    if (name.endsWith(suffix) && !name.startsWith('.')) return name.slice(0, -suffix.length);
  }
  return null;
}

/** Removes temp files an interrupted atomic index write left beside the index. */
export async function removeIndexTemps(layout: VaultLayout): Promise<void> {
  for (const name of await readdir(layout.dir)) {
    if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(layout.dir, name), { force: true });
  }
}
