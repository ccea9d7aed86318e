/**
 * @module Getting one image into the vault, by stage: resume or start the download (partial + sidecar),
 * verify the checksum, decompress, then fsync and rename to the final name. A file only ever appears under
 * its final name complete and verified; what a failure leaves is either resumable or removed.
 */
import { open, rename, rm, stat, statfs } from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import { isSkiffError } from '../../core/errors.js';
import { assertSelfContained } from '../../core/image-safety.js';
import { FetchError } from '../../core/fetch-error.js';
import { readJson, writeJsonAtomic } from '../persist/atomic-json.js';
import { syncDir } from '../persist/atomic-file.js';
import { compressionOf, type VaultLayout } from './layout.js';
import type { Compression, DownloadProgress, Downloader, FetchResult, ImageInspector } from './ports.js';
import { decodeSidecar, ifRangeOf, SIDECAR_SCHEMA, type ImageRecord, type Sidecar } from './records.js';
import type { ImageOrigin, ImageSource, ImageUpload, VaultLog } from './types.js';
import {
  checksumError,
  diskFullError,
  interruptedError,
  isDiskFull,
  isNoSpace,
  noRoomError,
  notEnoughSpaceError,
} from './vault-errors.js';

export interface InstallDeps {
  layout: VaultLayout;
  downloader: Downloader;
  inspector: ImageInspector;
  clock: Clock;
  log: VaultLog;
}

export interface InstallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

/** Room left free beyond an image's size when checking before a download. */
const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

/** Downloads (or imports) `source` under `key` and installs it; returns its record with no users yet. */
export async function installImage(
  deps: InstallDeps,
  key: string,
  source: ImageSource,
  options: InstallOptions,
): Promise<ImageRecord> {
  if (source.kind === 'upload') return importUpload(deps, key, source, options);
  const url = source.kind === 'url' ? source.url : source.image.url;
  const expected = source.kind === 'catalog' ? source.image.sha256.toLowerCase() : null;
  const fetched = await download(deps, key, url, source, options);
  const downloadedSha = fetched.sha256;
  if (expected !== null && downloadedSha !== expected) {
    await removePartial(deps.layout, key);
    throw checksumError(url, expected, downloadedSha, fetched.sizeBytes);
  }
  const origin: ImageOrigin =
    source.kind === 'catalog'
      ? {
          kind: 'catalog',
          remote: source.remote,
          product: source.image.product,
          release: source.image.release,
          releaseTitle: source.image.releaseTitle,
          codename: source.image.codename,
          version: source.image.version,
          aliases: [...source.image.aliases],
          url,
          sha256: downloadedSha,
        }
      : { kind: 'url', url, sha256: downloadedSha };
  const part = deps.layout.part(key);
  const compression = compressionOf(url);
  const final =
    compression === null ? fetched : await unpack(deps, key, part, compression, url, options, true);
  const record = await finalize(
    deps,
    key,
    final.sha256,
    final.sizeBytes,
    compression === null ? part : deps.layout.unpack(key),
    origin,
  );
  await removePartial(deps.layout, key);
  return record;
}

async function download(
  deps: InstallDeps,
  key: string,
  url: string,
  source: Exclude<ImageSource, { kind: 'upload' }>,
  options: InstallOptions,
): Promise<FetchResult> {
  const { layout, downloader, clock, log } = deps;
  const part = layout.part(key);
  const expectedSha256 = source.kind === 'catalog' ? source.image.sha256.toLowerCase() : null;
  const sidecar = await readSidecar(layout.sidecar(key));
  const ifRange = sidecar === null ? null : ifRangeOf(sidecar);
  const resumable =
    sidecar !== null && ifRange !== null && sidecar.url === url && sidecar.expectedSha256 === expectedSha256;
  if (!resumable) await removePartial(layout, key);
  const kept = resumable ? await sizeOf(part) : 0;
  if (source.kind === 'catalog')
    await ensureSpace(layout.dir, `download ${url}`, source.image.sizeBytes - kept);
  if (kept > 0) log.info({ url, keptBytes: kept }, 'resuming image download');
  else log.info({ url }, 'downloading image');
  try {
    return await downloader.fetch({
      url,
      dest: part,
      resume: resumable && ifRange !== null ? { ifRange } : null,
      maxBytes: source.kind === 'catalog' ? source.image.sizeBytes : null,
      signal: options.signal,
      onProgress: options.onProgress,
      onStart: (start) => {
        const next: Sidecar = {
          url,
          etag: start.etag,
          lastModified: start.lastModified,
          expectedSha256,
          totalBytes: start.totalBytes,
          startedAtMs: clock.now(),
        };
        return writeJsonAtomic(layout.sidecar(key), SIDECAR_SCHEMA, next);
      },
    });
  } catch (error) {
    if (isDiskFull(error)) {
      await removePartial(layout, key);
      throw diskFullError(layout.dir, `downloading ${url}`, error);
    }
    if (error instanceof FetchError && error.failure.cause === 'too-large') {
      // Not the file the catalog describes: nothing of it is worth resuming.
      await removePartial(layout, key);
      throw error;
    }
    if (error instanceof FetchError) {
      const partial = await readSidecar(layout.sidecar(key));
      const keptNow = partial !== null && ifRangeOf(partial) !== null ? await sizeOf(part) : 0;
      // Bytes that cannot be resumed (no validator to send in If-Range) only take space.
      if (keptNow === 0) await removePartial(layout, key);
      log.warn({ url, keptBytes: keptNow, cause: error.failure.cause }, 'image download interrupted');
      throw interruptedError(error, keptNow);
    }
    throw error;
  }
}

/** Receives an upload into the partial, decompresses it when its name says so, and installs it. */
async function importUpload(
  deps: InstallDeps,
  key: string,
  source: ImageUpload,
  options: InstallOptions,
): Promise<ImageRecord> {
  const { layout, log } = deps;
  const origin: ImageOrigin = {
    kind: 'file',
    path: source.name,
    sizeBytes: source.sizeBytes,
    mtimeMs: Math.trunc(source.mtimeMs),
  };
  const compression = compressionOf(source.name);
  const part = layout.part(key);
  try {
    await ensureSpace(layout.dir, `receive ${source.name}`, source.sizeBytes);
    log.info({ name: source.name, sizeBytes: source.sizeBytes, compression }, 'receiving image upload');
    const input = await source.open(options.signal);
    const received = await deps.downloader
      .receive({ input, name: source.name, sizeBytes: source.sizeBytes, dest: part, ...options })
      .catch((error: unknown) => {
        if (isDiskFull(error)) throw diskFullError(layout.dir, `receiving ${source.name}`, error);
        throw error;
      });
    if (compression === null)
      return await finalize(deps, key, received.sha256, received.sizeBytes, part, origin);
    const result = await unpack(deps, key, part, compression, source.name, options, true);
    return await finalize(deps, key, result.sha256, result.sizeBytes, layout.unpack(key), origin);
  } finally {
    // An upload is never resumed: what did not become an image is only taking space.
    await removePartial(layout, key);
  }
}

/** Decompresses into `<key>.unpack`. A corrupt downloaded archive is removed too: resuming cannot fix it. */
async function unpack(
  deps: InstallDeps,
  key: string,
  src: string,
  format: Compression,
  what: string,
  options: InstallOptions,
  downloaded: boolean,
): Promise<{ sha256: string; sizeBytes: number }> {
  const dest = deps.layout.unpack(key);
  try {
    const expanded = await deps.downloader.expandedSize(src, format);
    // The expanded copy must fit next to the download; the cap stops a stream that expands beyond what its
    // archive records (a lying gzip trailer, a bomb) before the disk fills.
    const room = await ensureSpace(deps.layout.dir, `decompress ${what}`, expanded.bytes);
    deps.log.info({ what, expandedBytes: expanded.bytes, exact: expanded.exact }, 'decompressing image');
    return await deps.downloader.decompress({ src, name: what, dest, format, ...options, maxBytes: room });
  } catch (error) {
    await rm(dest, { force: true });
    const corrupt = (error as { code?: unknown }).code === 'invalid-argument';
    const tooLarge = isSkiffError(error) && error.details?.reason === 'too-large';
    const full = isDiskFull(error) || tooLarge || isNoSpace(error);
    if (downloaded && (corrupt || full)) await removePartial(deps.layout, key);
    if (tooLarge) throw noRoomError(deps.layout.dir, `decompressing ${what}`, error);
    if (isDiskFull(error)) throw diskFullError(deps.layout.dir, `decompressing ${what}`, error);
    throw error;
  }
}

/**
 * Inspects the image, then fsyncs and renames it under the final name. A file already there has the same
 * bytes (same sha256): kept. An image that names other host files never enters: it and the partial go.
 */
async function finalize(
  deps: InstallDeps,
  key: string,
  id: string,
  sizeBytes: number,
  temp: string,
  source: ImageOrigin,
): Promise<ImageRecord> {
  try {
    assertSelfContained(await deps.inspector.inspect(temp), describeOrigin(source));
  } catch (error) {
    await rm(temp, { force: true });
    await removePartial(deps.layout, key);
    deps.log.warn({ source, err: error }, 'image refused');
    throw error;
  }
  const target = deps.layout.image(id);
  const existing = await stat(target).catch(() => null);
  if (existing !== null && existing.size === sizeBytes) {
    // Never replace a file an instance disk may be based on, even with identical bytes.
    await rm(temp, { force: true });
  } else {
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    await syncDir(deps.layout.imagesDir);
  }
  const now = deps.clock.now();
  return { id, sizeBytes, source, fetchedAtMs: now, lastUsedMs: now, usedBy: [] };
}

function describeOrigin(origin: ImageOrigin): string {
  switch (origin.kind) {
    case 'catalog':
      return `image ${origin.release} (${origin.version}) of remote ${origin.remote} from ${origin.url}`;
    case 'url':
      return `image downloaded from ${origin.url}`;
    case 'file':
      return `image file ${origin.path}`;
    case 'unknown':
      return 'image';
    default: {
      const unknown: never = origin;
      return String(unknown);
    }
  }
}

/**
 * Checks that `imageBytes` fit in `dir` with a margin to spare. @returns the bytes that may be written
 * (free space less the margin). @throws DiskFullError
 */
async function ensureSpace(dir: string, what: string, imageBytes: number): Promise<number> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  const needed = Math.max(0, imageBytes) + SPACE_MARGIN_BYTES;
  if (free < needed) throw notEnoughSpaceError(dir, what, needed, free);
  return free - SPACE_MARGIN_BYTES;
}

/** The sidecar of `key`, or null when absent or unreadable (then the partial cannot be trusted). */
export async function readSidecar(path: string): Promise<Sidecar | null> {
  try {
    const data = await readJson<unknown>(path, SIDECAR_SCHEMA);
    return data === null ? null : decodeSidecar(data);
  } catch {
    return null;
  }
}

/** Removes a partial download with its sidecar and any decompression output. */
export async function removePartial(layout: VaultLayout, key: string): Promise<void> {
  await rm(layout.sidecar(key), { force: true });
  await rm(layout.part(key), { force: true });
  await rm(layout.unpack(key), { force: true });
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => null))?.size ?? 0;
}
