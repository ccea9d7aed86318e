/**
 * @module A local image for `launch file://PATH`, opened by the CLI with its user's own rights. skiffd runs as
 * root and never opens a path a client names: the CLI sends the bytes instead (see README, Security), so a
 * file the user cannot read (`/etc/shadow`, a symlink to it) fails here, before the daemon hears of it.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SkiffError } from '../core/errors.js';
import { filePathOfUri } from '../core/file-uri.js';

const READ_CHUNK_BYTES = 1024 * 1024;

/** An opened image file: what the daemon is told about it, and its bytes on demand. */
export interface LocalImage {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  /** The file's bytes, exactly `sizeBytes` of them, from the descriptor opened at the start. */
  stream(): Readable;
  close(): Promise<void>;
}

/** True when the image argument names a local file. */
export function isLocalImage(image: string | undefined): image is string {
  return image !== undefined && /^file:/i.test(image.trim());
}

/**
 * Opens the image a `file://` URL names, as the calling user.
 * @throws SkiffError 'invalid-argument' (a malformed URI, permission denied, not a regular file, empty) or
 * 'not-found', naming the path.
 */
export async function openLocalImage(uri: string): Promise<LocalImage> {
  const path = filePathOfUri(uri.trim());
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO must not hang the CLI before it is refused as not a regular file.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw openError(path, error as NodeJS.ErrnoException);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalid(path, 'is not a regular file');
    if (info.size === 0) throw invalid(path, 'is empty');
    let stream: Readable | null = null;
    return {
      path,
      sizeBytes: info.size,
      mtimeMs: info.mtimeMs,
      stream: () =>
        (stream = handle.createReadStream({
          start: 0,
          // A file that grows meanwhile sends only the size announced; one that shrinks fails the upload.
          end: info.size - 1,
          autoClose: false,
          highWaterMark: READ_CHUNK_BYTES,
        })),
      close: async () => {
        stream?.destroy();
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function openError(path: string, error: NodeJS.ErrnoException): SkiffError {
  switch (error.code) {
    case 'ENOENT':
      return new SkiffError('not-found', `image file ${path} does not exist`, {
        cause: error,
        details: { field: 'image' },
      });
    case 'EACCES':
    case 'EPERM':
      return new SkiffError(
        'invalid-argument',
        `image file ${path}: permission denied (skiff reads local images with your own rights)`,
        { cause: error, details: { field: 'image', reason: 'permission-denied' } },
      );
    default:
      return invalid(path, `cannot be opened (${error.code ?? error.message})`, error);
  }
}

function invalid(path: string, why: string, cause?: unknown): SkiffError {
  return new SkiffError('invalid-argument', `image file ${path} ${why}`, {
    cause,
    details: { field: 'image' },
  });
}
