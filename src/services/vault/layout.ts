/**
 * @module The vault's on-disk layout, described once. Pure: paths only, no I/O.
 *
 *   DIR/index.json              the index (schema-versioned, written atomically)
 *   DIR/images/<sha256>.img     final images: complete, verified, immutable
 *   DIR/partial/<key>.part      bytes of an unfinished download (resumable)
 *   DIR/partial/<key>.json      its sidecar: URL and validators, so it resumes after a daemon restart
 *   DIR/partial/<key>.unpack    decompression output in progress (never resumable; removed on init)
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Compression } from './ports.js';
import type { ImageSource } from './types.js';

/** File and folder names inside the vault directory. */
export const VAULT_FILES = {
  /** The index of final images. */
  index: 'index.json',
  /** Final images, named `<sha256>.img`. */
  images: 'images',
  /** Unfinished downloads and their sidecars. */
  partial: 'partial',
} as const;

/** Suffixes of the files in `partial/`. */
export const PARTIAL_SUFFIX = { part: '.part', sidecar: '.json', unpack: '.unpack' } as const;

const SHA256 = /^[0-9a-f]{64}$/;

/** True for a lowercase hex sha256. */
export function isSha256(value: string): boolean {
  return SHA256.test(value);
}

/** Paths of one vault directory. */
export class VaultLayout {
  constructor(readonly dir: string) {}

  get index(): string {
    return join(this.dir, VAULT_FILES.index);
  }

  get imagesDir(): string {
    return join(this.dir, VAULT_FILES.images);
  }

  get partialDir(): string {
    return join(this.dir, VAULT_FILES.partial);
  }

  /** The final path of the image whose (decompressed) content has this sha256. */
  image(id: string): string {
    if (!isSha256(id)) throw new Error(`not a sha256: ${id}`);
    return join(this.imagesDir, `${id}.img`);
  }

  part(key: string): string {
    return join(this.partialDir, key + PARTIAL_SUFFIX.part);
  }

  sidecar(key: string): string {
    return join(this.partialDir, key + PARTIAL_SUFFIX.sidecar);
  }

  unpack(key: string): string {
    return join(this.partialDir, key + PARTIAL_SUFFIX.unpack);
  }
}

/** The image id a final file name stands for, or null for anything else (temp files, strays). */
export function idOfImageFile(name: string): string | null {
  const match = /^([0-9a-f]{64})\.img$/.exec(name);
  return match?.[1] ?? null;
}

/**
 * The key of a source's partial download, also the key that merges concurrent acquires of it. Catalog
 * images are keyed by their checksum (same bytes, one download, whichever remote); URLs by URL; uploads by
 * their own id.
 */
export function sourceKey(source: ImageSource): string {
  switch (source.kind) {
    case 'catalog':
      return `sha-${source.image.sha256.toLowerCase().slice(0, 32)}`;
    case 'url':
      return `url-${digest(source.url)}`;
    case 'upload':
      return `upload-${digest(source.id)}`;
    default: {
      const unknown: never = source;
      throw new Error(`unknown image source ${JSON.stringify(unknown)}`);
    }
  }
}

/** The compression implied by a URL's or path's name (`.xz`, `.gz`); null when none. */
export function compressionOf(urlOrPath: string): Compression | null {
  let name = urlOrPath;
  try {
    name = new URL(urlOrPath).pathname;
  } catch {
    // A plain path, not a URL.
  }
  const lower = name.toLowerCase();
  if (lower.endsWith('.xz')) return 'xz';
  if (lower.endsWith('.gz')) return 'gz';
  return null;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
