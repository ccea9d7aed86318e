/**
 * @module Which file a mirror request may read: the URL path, decoded and resolved through every symlink,
 * must land inside the served tree. `send` stops `..` in the URL but follows symlinks wherever they point,
 * so `ln -s /etc/shadow releases/x` would otherwise serve that file.
 */
import { realpath } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';

export type ServedPath =
  /** `urlPath` names the resolved file (no symlink left in it), percent-encoded for `send`. */
  | { kind: 'inside'; urlPath: string }
  /** `reason` is for the server's log only; the client sees the bare status. */
  | { kind: 'refused'; status: 400 | 404; reason: string };

/**
 * Resolves `pathname` (still percent-encoded, as in the request line) under `realRoot`, which must itself be
 * a realpath. A missing file is `inside` with its unresolved path (send answers 404); a path that leaves
 * the tree, through `..` or a symlink to a file or directory outside, is refused as if it did not exist.
 */
export async function resolveServedPath(realRoot: string, pathname: string): Promise<ServedPath> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'refused', status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { kind: 'refused', status: 400, reason: 'NUL in path' };
  const requested = join(realRoot, decoded);
  if (!contains(realRoot, requested)) return { kind: 'refused', status: 404, reason: 'outside the tree' };
  let real: string;
  try {
    real = await realpath(requested);
  } catch {
    // Missing (or not a directory on the way): nothing to follow, send answers 404 on its own.
    return { kind: 'inside', urlPath: pathname };
  }
  if (!contains(realRoot, real)) {
    return { kind: 'refused', status: 404, reason: 'symlink leads outside the tree' };
  }
  const rel = relative(realRoot, real);
  return { kind: 'inside', urlPath: `/${rel.split(sep).map(encodeURIComponent).join('/')}` };
}

function contains(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
