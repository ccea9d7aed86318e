/**
 * @module The command sftp runs as its server (`sftp -D`): this Node running sftp-relay.js for one instance
 * (it finds the daemon as the CLI does, from the environment it inherits).
 */
import { join } from 'node:path';
import { installRoot } from '../../core/install-root.js';

/** Where the build puts the relay (tsc output, beside the bundled CLI). */
export const SFTP_RELAY_FILE = 'dist/src/cli/transfer/sftp-relay.js';

export function sftpRelayCommand(instance: string): string[] {
  return [process.execPath, join(installRoot(), SFTP_RELAY_FILE), instance];
}
