/**
 * @module qemu-img, run thinly: qcow2 overlays on a cached base image, growing them, and reading their info
 * (sizes, backing file, internal snapshots). Argument builders and the JSON parser are pure and exported for
 * tests; the runners add only the process call and error wrapping.
 */
import { execFile } from 'node:child_process';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import { assertSelfContained, type ImageFacts } from '../../core/image-safety.js';

const run = promisify(execFile);

/** The qemu-img binary (from PATH; Debian/Ubuntu package qemu-utils). */
export const QEMU_IMG = 'qemu-img';

/** What `qemu-img info --output=json` says about one image. */
export interface ImageInfo {
  format: string;
  virtualBytes: number;
  /** Bytes allocated on the host filesystem. */
  actualBytes: number;
  /** The backing file as recorded in the image (absolute for overlays skiff creates), or null. */
  backingFile: string | null;
  backingFormat: string | null;
  /** qcow2's external data file (`format-specific.data.data-file`), or null. */
  dataFile: string | null;
  /** Internal snapshots; a suspend state has vmStateBytes > 0. */
  snapshots: Array<{ name: string; vmStateBytes: number }>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses `qemu-img info --output=json`. @throws SkiffError internal when fields are missing */
export function parseImageInfo(json: string, path = 'image'): ImageInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new SkiffError('internal', `qemu-img info ${path}: output is not JSON`, { cause: error });
  }
  if (!isObject(raw) || typeof raw.format !== 'string' || typeof raw['virtual-size'] !== 'number') {
    throw new SkiffError('internal', `qemu-img info ${path}: missing format or virtual-size`);
  }
  const backing = raw['full-backing-filename'] ?? raw['backing-filename'];
  const snapshots = Array.isArray(raw.snapshots) ? raw.snapshots.filter(isObject) : [];
  const specific = isObject(raw['format-specific']) ? raw['format-specific'] : {};
  const data = isObject(specific.data) ? specific.data : {};
  return {
    format: raw.format,
    virtualBytes: raw['virtual-size'],
    actualBytes: typeof raw['actual-size'] === 'number' ? raw['actual-size'] : 0,
    backingFile: typeof backing === 'string' ? backing : null,
    backingFormat: typeof raw['backing-filename-format'] === 'string' ? raw['backing-filename-format'] : null,
    dataFile: typeof data['data-file'] === 'string' ? data['data-file'] : null,
    snapshots: snapshots.map((s) => ({
      name: String(s.name),
      vmStateBytes: typeof s['vm-state-size'] === 'number' ? s['vm-state-size'] : 0,
    })),
  };
}

/** argv for reading info; `-U` (force-share) so it also works while QEMU holds the image's lock. */
export function imageInfoArgs(path: string): string[] {
  return ['info', '-U', '--output=json', path];
}

/**
 * argv creating a qcow2 overlay of `baseImage` with an explicit backing format (never probed by QEMU). `-u`:
 * the size is given, so qemu-img need not open the base (and so never follows whatever the base names).
 */
export function overlayCreateArgs(options: {
  path: string;
  baseImage: string;
  baseFormat: string;
  sizeBytes: number;
}): string[] {
  return [
    'create',
    '-q',
    '-u',
    '-f',
    'qcow2',
    '-F',
    options.baseFormat,
    '-b',
    options.baseImage,
    options.path,
    String(options.sizeBytes),
  ];
}

/** argv growing a qcow2 image to `sizeBytes`. */
export function resizeArgs(path: string, sizeBytes: number): string[] {
  return ['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)];
}

/** Runs qemu-img, turning a missing binary and a failure into clear SkiffErrors. */
export async function qemuImg(args: string[], doing: string): Promise<string> {
  try {
    const { stdout } = await run(QEMU_IMG, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new MissingDependencyError(`${QEMU_IMG} not found on PATH: install the qemu-utils package`, {
        program: QEMU_IMG,
        package: 'qemu-utils',
        cause: error,
      });
    }
    const stderr = (e.stderr ?? '').trim() || e.message;
    throw new SkiffError('internal', `${doing}: ${stderr}`, { cause: error });
  }
}

/** Info about the image at `path`. @throws SkiffError internal */
export async function imageInfo(path: string): Promise<ImageInfo> {
  return parseImageInfo(await qemuImg(imageInfoArgs(path), `reading image info of ${path}`), path);
}

/** The facts that decide whether an image may be a base (core/image-safety.ts). @throws SkiffError internal */
export async function inspectImage(path: string): Promise<ImageFacts> {
  const info = await imageInfo(path);
  return {
    format: info.format,
    backingFile: info.backingFile,
    dataFile: info.dataFile,
    virtualBytes: info.virtualBytes,
  };
}

/**
 * Creates the qcow2 overlay `path` on `baseImage` (absolute), detecting the base's format, with virtual size
 * `sizeBytes`. Written under a temp name and renamed, so `path` exists only when complete.
 * @throws SkiffError invalid-argument when sizeBytes is below the base's virtual size; internal otherwise
 */
export async function createOverlay(options: {
  path: string;
  baseImage: string;
  sizeBytes: number;
}): Promise<void> {
  const base = await imageInfo(options.baseImage);
  assertSelfContained(base, `base image ${options.baseImage}`);
  if (options.sizeBytes < base.virtualBytes) {
    throw new SkiffError(
      'invalid-argument',
      `disk size ${options.sizeBytes} bytes is smaller than the image's ${base.virtualBytes} bytes`,
      { details: { field: 'disk', minimumBytes: base.virtualBytes } },
    );
  }
  const temp = join(dirname(options.path), `.${basename(options.path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await qemuImg(
      overlayCreateArgs({ ...options, path: temp, baseFormat: base.format }),
      `creating overlay ${options.path} on ${options.baseImage}`,
    );
    await rename(temp, options.path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Grows the image at `path` to `sizeBytes`; equal size is a no-op. The VM must be stopped (QEMU's image
 * lock makes qemu-img fail otherwise). @throws SkiffError invalid-argument when asked to shrink
 */
export async function growImage(options: { path: string; sizeBytes: number }): Promise<void> {
  const info = await imageInfo(options.path);
  if (options.sizeBytes < info.virtualBytes) {
    throw new SkiffError(
      'invalid-argument',
      `disk size can only grow: ${options.sizeBytes} bytes is below the current ${info.virtualBytes} bytes`,
      { details: { field: 'disk', currentBytes: info.virtualBytes } },
    );
  }
  if (options.sizeBytes === info.virtualBytes) return;
  await qemuImg(resizeArgs(options.path, options.sizeBytes), `resizing ${options.path}`);
}

/** argv deleting the internal snapshot `name` of a qcow2 image. */
export function deleteSnapshotArgs(path: string, name: string): string[] {
  return ['snapshot', '-q', '-d', name, path];
}

/** Deletes an internal snapshot of a stopped VM's disk. @throws SkiffError internal */
export async function deleteSnapshot(path: string, name: string): Promise<void> {
  await qemuImg(deleteSnapshotArgs(path, name), `deleting snapshot ${name} of ${path}`);
}

/** argv taking the internal snapshot `name` of a qcow2 image (disk only; the VM must be stopped). */
export function createSnapshotArgs(path: string, name: string): string[] {
  return ['snapshot', '-q', '-c', name, path];
}

/** argv reverting a qcow2 image to its internal snapshot `name` (`-a`: apply). */
export function applySnapshotArgs(path: string, name: string): string[] {
  return ['snapshot', '-q', '-a', name, path];
}

/** Takes a disk-only internal snapshot of a stopped VM's disk. @throws SkiffError internal */
export async function createSnapshot(path: string, name: string): Promise<void> {
  await qemuImg(createSnapshotArgs(path, name), `taking snapshot ${name} of ${path}`);
}

/** Reverts a stopped VM's disk to an internal snapshot. @throws SkiffError internal */
export async function applySnapshot(path: string, name: string): Promise<void> {
  await qemuImg(applySnapshotArgs(path, name), `restoring snapshot ${name} of ${path}`);
}
