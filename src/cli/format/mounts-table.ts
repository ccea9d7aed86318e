/**
 * @module The `Mounts:` value of `info`'s table, laid out as Multipass prints it: one `SOURCE => TARGET` line
 * per mount (sources padded to the longest), each followed by its UID and GID maps. Pure.
 */
import type { InfoMountJson } from '../../api/contract.js';

/** The value after `Mounts:` (later lines carry their own indentation), or `--`. */
export function mountsValue(mounts: Record<string, InfoMountJson>): string {
  const entries = Object.entries(mounts);
  if (entries.length === 0) return '--';
  const width = Math.max(...entries.map(([, m]) => m.source_path.length));
  return entries
    .flatMap(([target, m], index) => [
      `${index === 0 ? '' : ' '.repeat(16)}${m.source_path.padEnd(width)} => ${target}`,
      ...(m.uid_mappings.length ? [`${'UID map: '.padStart(29)}${m.uid_mappings.join(', ')}`] : []),
      ...(m.gid_mappings.length ? [`${'GID map: '.padStart(29)}${m.gid_mappings.join(', ')}`] : []),
    ])
    .join('\n');
}
