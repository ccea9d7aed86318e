/**
 * @module skiff's version, read once from package.json next to the build.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, e.g. `0.1.0`. */
export function skiffVersion(): string {
  if (cached === undefined) {
    const url = new URL('../../../package.json', import.meta.url);
    cached = (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return cached;
}
