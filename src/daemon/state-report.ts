/**
 * @module One daemon-log line per state file that needed recovery at start: what was wrong, what was used
 * instead, and where the bad file was kept.
 */
import type { Logger } from 'pino';
import type { StateLoad } from '../services/persist/state-file.js';

const USED: Record<StateLoad<unknown>['source'], string> = {
  file: 'kept the file, minus the entries listed',
  backup: 'recovered the previous version from its .bak',
  missing: 'no file',
  'none-usable': 'neither the file nor its .bak was usable: started empty',
};

/** Logs a warning when `loaded` needed recovery; silent when all was well. */
export function reportStateLoad(log: Logger, file: string, loaded: StateLoad<unknown>): void {
  if (loaded.problems.length === 0) return;
  log.warn(
    { file, recovered: loaded.source, problems: loaded.problems, keptAs: loaded.keptAs },
    `state file ${file}: ${USED[loaded.source]}${loaded.keptAs ? ` (the bad file is kept as ${loaded.keptAs})` : ''}`,
  );
}
