/**
 * @module Where skiff is installed: the folder of its package.json, found by walking up from this module.
 * Walking up (rather than a fixed `../..`) keeps it right both in the tsc output and in the bundled CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'skiff') return (cached = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the skiff package.json above the running code');
    dir = parent;
  }
}

/** The install folder (holds bin/, dist/, package.json). */
export function installRoot(): string {
  return find().root;
}

/** The package version, e.g. `0.1.0`. */
export function skiffVersion(): string {
  return find().version;
}
