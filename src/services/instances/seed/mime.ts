/**
 * @module A MIME multipart/mixed document, the container cloud-init accepts as user-data: it recognises it by a
 * `MIME-Version:` header in the first 4 KiB and handles each part by its content type. Text parts are base64
 * encoded: Python's email parser turns non-ASCII text in an unencoded part into `\uXXXX` escapes.
 */
import { randomBytes } from 'node:crypto';

export interface MimePart {
  /** e.g. `text/plain` (cloud-init then types the part by its first line) or `text/cloud-config`. */
  contentType: string;
  /** Extra headers, e.g. `Merge-Type` for a cloud-config part. */
  headers?: Record<string, string>;
  filename: string;
  body: string;
}

/**
 * The multipart document holding `parts` in order. `nested` parts are complete MIME documents of their own
 * (headers included) and are embedded unencoded, so cloud-init walks into them.
 */
export function multipartMixed(
  parts: Array<MimePart | { nested: string }>,
  boundary = newBoundary(),
): string {
  const lines = [`Content-Type: multipart/mixed; boundary="${boundary}"`, 'MIME-Version: 1.0', ''];
  for (const part of parts) {
    lines.push(`--${boundary}`);
    if ('nested' in part) {
      lines.push(part.nested.replace(/\r?\n$/, ''));
      continue;
    }
    lines.push(
      `Content-Type: ${part.contentType}; charset="utf-8"`,
      'MIME-Version: 1.0',
      'Content-Transfer-Encoding: base64',
      ...Object.entries(part.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      `Content-Disposition: attachment; filename="${part.filename}"`,
      '',
      ...(Buffer.from(part.body, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g) ?? []),
    );
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\n');
}

/** A boundary that cannot occur in base64 text and is vanishingly unlikely in a nested document. */
const newBoundary = (): string => `==skiff-${randomBytes(12).toString('hex')}==`;
