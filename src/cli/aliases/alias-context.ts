/**
 * @module What the alias commands share: the user's alias paths and the skiff the scripts call.
 */
import { join } from 'node:path';
import { installRoot } from '../../core/install-root.js';
import { aliasPaths, type AliasPaths } from './alias-files.js';

export interface AliasHome {
  paths: AliasPaths;
  /** The `skiff` each script runs. */
  skiffPath: string;
}

export function aliasHome(): AliasHome {
  return { paths: aliasPaths(), skiffPath: join(installRoot(), 'bin', 'skiff') };
}
