/**
 * @module Why a host socket for a forward could not be bound, as a SkiffError naming the address and port.
 */
import { SkiffError } from '../../core/errors.js';
import type { ForwardHost } from '../../services/forwards/ports.js';

/** Maps a bind/listen failure on `host` to a SkiffError (the errno kept as the cause). */
export function listenError(error: NodeJS.ErrnoException, host: ForwardHost): SkiffError {
  const where = `${host.hostAddress}:${host.hostPort}/${host.protocol}`;
  const details = { hostAddress: host.hostAddress, hostPort: host.hostPort, protocol: host.protocol };
  switch (error.code) {
    case 'EADDRINUSE':
      return new SkiffError('conflict', `${where} is already in use on this host`, { cause: error, details });
    case 'EADDRNOTAVAIL':
      return new SkiffError(
        'invalid-argument',
        `cannot listen on ${where}: ${host.hostAddress} is not an address of this host`,
        { cause: error, details: { ...details, field: 'host_address' } },
      );
    case 'EACCES':
      return new SkiffError('permission-denied', `cannot listen on ${where}: permission denied (EACCES)`, {
        cause: error,
        details,
      });
    default:
      return new SkiffError('internal', `cannot listen on ${where}: ${error.code ?? error.message}`, {
        cause: error,
        details,
      });
  }
}
