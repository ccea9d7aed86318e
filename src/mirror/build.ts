/**
 * @module `skiff mirror build`: adds an image to a simplestreams tree on disk. Everything is checked before
 * anything is written; the image lands under its final name only when complete, then the products file, then
 * the index, each replaced atomically, so a reader never sees a half-written tree.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { SkiffError } from '../core/errors.js';
import { syncDir, tempPathFor, writeFileAtomic } from '../services/persist/atomic-file.js';
import { withTreeLock } from './tree-lock.js';
import {
  INDEX_PATH,
  planPublish,
  productsPath,
  type PublishedItem,
  type StreamDocs,
} from './products-doc.js';
import type { PublishOptions } from './publish-options.js';
import { readOptional } from '../core/read-optional.js';

export interface BuildResult {
  product: string;
  serial: string;
  /** Absolute path of the image inside the tree. */
  imagePath: string;
  sha256: string;
  sizeBytes: number;
  noop: boolean;
}

/**
 * @throws SkiffError('invalid-argument') for a missing/unreadable image, an alias clash or a malformed existing
 *   tree; ('conflict') when the serial holds another image. The tree is untouched in every error case.
 */
export async function buildMirror(
  dir: string,
  image: string,
  options: PublishOptions,
  now = new Date(),
): Promise<BuildResult> {
  const item = await hashImage(image);
  const streamDir = join(dir, options.stream);
  return withTreeLock(dir, async () => {
    const existing = await readDocs(streamDir);
    const plan = planPublish(existing, options, item, now);
    const imagePath = join(streamDir, plan.itemPath);
    const result = {
      product: plan.product,
      serial: plan.serial,
      imagePath,
      sha256: item.sha256,
      sizeBytes: item.sizeBytes,
      noop: plan.noop,
    };
    if (plan.noop) return result;
    await placeImage(image, imagePath, item.sha256);
    await writeFileAtomic(
      join(streamDir, productsPath(options.stream)),
      `${JSON.stringify(plan.docs.products, null, 1)}\n`,
    );
    await writeFileAtomic(join(streamDir, INDEX_PATH), `${JSON.stringify(plan.docs.index, null, 1)}\n`);
    return result;
  });
}

/** sha256, md5 and size of a file, in one streaming pass. */
export async function hashImage(path: string): Promise<PublishedItem> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new SkiffError(
      'invalid-argument',
      `--image ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  if (!info.isFile()) throw new SkiffError('invalid-argument', `--image ${path}: not a regular file`);
  if (info.size === 0) throw new SkiffError('invalid-argument', `--image ${path}: the file is empty`);
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      sha256.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
  } catch (error) {
    throw new SkiffError('invalid-argument', `--image ${path}: cannot read it (${(error as Error).message})`);
  }
  return { sizeBytes: info.size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

async function readDocs(streamDir: string): Promise<StreamDocs | null> {
  const indexText = await readOptional(join(streamDir, INDEX_PATH));
  if (indexText === null) return null;
  const index = parseDoc(indexText, join(streamDir, INDEX_PATH));
  const entries = Object.values(
    (index['index'] as Record<string, { datatype?: string; path?: string }>) ?? {},
  );
  const entry = entries.find((e) => e?.datatype === 'image-downloads');
  if (!entry?.path) throw malformed(join(streamDir, INDEX_PATH), 'no image-downloads entry with a path');
  const productsFile = join(streamDir, entry.path);
  const productsText = await readOptional(productsFile);
  if (productsText === null) throw malformed(productsFile, 'the index names it but it does not exist');
  const products = parseDoc(productsText, productsFile);
  if (
    typeof products['products'] !== 'object' ||
    products['products'] === null ||
    Array.isArray(products['products'])
  ) {
    throw malformed(productsFile, '"products" is not an object');
  }
  return { index, products };
}

function parseDoc(text: string, path: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw malformed(path, (error as Error).message);
  }
}

function malformed(path: string, why: string): SkiffError {
  return new SkiffError(
    'invalid-argument',
    `existing mirror file ${path} is malformed (${why}); nothing was changed`,
  );
}

/** Copies the image into the tree under a temp name, then renames it; skips when the same bytes are there. */
async function placeImage(source: string, target: string, sha256: string): Promise<void> {
  try {
    if ((await hashImage(target)).sha256 === sha256) return;
  } catch {
    // absent or unreadable: (re)place it
  }
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await copyFile(source, temp);
    if ((await hashImage(temp)).sha256 !== sha256)
      throw new SkiffError('internal', `${source} changed while it was being published`);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(target));
}
