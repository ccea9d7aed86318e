/**
 * @module Which daemon the CLI talks to: `SKIFF_SERVER_ADDRESS` (HOST:PORT for TLS, unix:PATH), else none
 * chosen (the default socket). The TLS pieces (certificates, pins) live in the user's config dir.
 */
import { join } from 'node:path';
import type { HostIdentity } from '../api/endpoint.js';
import { formatServerAddress, parseServerAddress } from '../api/server-address.js';
import { clientIdentity } from '../client/client-identity.js';
import { KnownServers } from '../client/known-servers.js';
import { TlsTransport } from '../client/tls-transport.js';
import { UnixTransport, type Transport } from '../client/transport.js';

/** `$XDG_CONFIG_HOME/skiff`, else ~/.config/skiff. */
export function configDir({ env, home }: HostIdentity): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'skiff');
}

/**
 * The transport SKIFF_SERVER_ADDRESS names, or null when it is unset.
 * @throws SkiffError('invalid-argument') naming SKIFF_SERVER_ADDRESS when it is malformed
 */
export function daemonTransport(
  host: HostIdentity,
  notice = (line: string) => process.stderr.write(`${line}\n`),
): Transport | null {
  const text = host.env.SKIFF_SERVER_ADDRESS;
  if (!text) return null;
  const address = parseServerAddress(text, 'SKIFF_SERVER_ADDRESS');
  if (address.kind === 'unix') return new UnixTransport(address.path);
  const dir = configDir(host);
  let identity: ReturnType<typeof clientIdentity> | null = null;
  return new TlsTransport({
    host: address.host,
    port: address.port,
    where: formatServerAddress(address),
    identity: () => (identity ??= clientIdentity(join(dir, 'client-certificate'))),
    known: new KnownServers(join(dir, 'known-servers')),
    notice,
  });
}
