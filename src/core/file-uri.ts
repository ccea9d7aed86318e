/**
 * @module `file://` URIs to local paths, with Node's own rules (fileURLToPath): the host must be empty or
 * `localhost`, `%2F` may not hide a separator, and the result is absolute. Every refusal is a SkiffError
 * naming the URI. Pure.
 */
import { fileURLToPath } from 'node:url';
import { SkiffError } from './errors.js';

/** The local path a `file://` URI names. @throws SkiffError('invalid-argument') saying what is wrong. */
export function filePathOfUri(uri: string): string {
  const invalid = (why: string) =>
    new SkiffError(
      'invalid-argument',
      `"${uri}" is not a usable file:// URI: ${why} (write file:///absolute/path)`,
      {
        details: { field: 'image', uri },
      },
    );
  if (!/^file:\/\//i.test(uri)) throw invalid('it does not start with file://');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid('it does not parse as a URL');
  }
  if (url.protocol !== 'file:') throw invalid(`the scheme is ${url.protocol.replace(/:$/, '')}`);
  if (url.search || url.hash) throw invalid('it has a query or fragment');
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    // Node's messages are clear ("File URL host must be "localhost" or empty on linux"); keep them.
    throw invalid((error as Error).message);
  }
  if (path.includes('\0')) throw invalid('it contains a NUL byte');
  if (path === '/' || path.endsWith('/')) throw invalid('it names a directory, not an image file');
  return path;
}
