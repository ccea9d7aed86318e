/**
 * @module Which disk images skiff lets QEMU open as a base: self-contained qcow2 or raw files. A qcow2 can name
 * other files (a backing file, an external data file) that QEMU, running as root, would open and show to the
 * guest (`/root/secret.raw`, `/dev/sda`): Lima's CVE-2023-32684. Other formats (vmdk extents, vhdx, ...) can
 * reference files too and cloud images never need them. Pure: the facts come from `qemu-img info`.
 */
import { SkiffError } from './errors.js';

/** What `qemu-img info --output=json` says about an image, reduced to what decides its safety. */
export interface ImageFacts {
  /** Detected format (`qcow2`, `raw`, ...). */
  format: string;
  /** `backing-filename` (or `full-backing-filename`): a file the image reads through to. */
  backingFile: string | null;
  /** `format-specific.data.data-file`: an external file holding the image's data (qcow2 data_file). */
  dataFile: string | null;
  virtualBytes: number;
}

/** Formats a base image may have. */
export const BASE_IMAGE_FORMATS: readonly string[] = ['qcow2', 'raw'];

/**
 * Refuses an image that names another file or has a format that could. `what` says which image, e.g.
 * `image downloaded from https://...`. @throws SkiffError('invalid-argument') naming the qemu-img field.
 */
export function assertSelfContained(facts: ImageFacts, what: string): void {
  const refuse = (field: string, value: string, why: string): never => {
    throw new SkiffError(
      'invalid-argument',
      `${what} is refused: ${why} (${field}: ${JSON.stringify(value)}); skiff only uses self-contained ` +
        `qcow2 or raw images, because QEMU would open that file on the host and show it to the guest`,
      { details: { reason: 'unsafe-image', field, value } },
    );
  };
  if (facts.backingFile !== null) refuse('backing-filename', facts.backingFile, 'it names a backing file');
  if (facts.dataFile !== null)
    refuse('format-specific.data.data-file', facts.dataFile, 'it names an external data file');
  if (!BASE_IMAGE_FORMATS.includes(facts.format))
    refuse('format', facts.format, `its format is ${facts.format}, not ${BASE_IMAGE_FORMATS.join(' or ')}`);
}
