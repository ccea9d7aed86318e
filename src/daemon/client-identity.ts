/**
 * @module Who is on the other end of an API connection, once per connection: over TLS, the SHA-256 of the
 * client's certificate; over the Unix socket, the peer's uid and gid (read by the injected `credentials`,
 * which compose.ts wires to SO_PEERCRED). A remote client has no uid on this host, so `caller` is null for it.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Caller } from '../services/mounts/ports.js';
import type { Client } from '../services/trust/trust-service.js';

export type PeerCredentialsReader = (socket: Socket) => Promise<{ uid: number; gid: number } | null>;

/** Identity of a connection: who it is for trust, and its host user (null over TLS, or unreadable). */
export interface ConnectionIdentity {
  client: Client | null;
  caller: Caller | null;
  remote: boolean;
}

export function isTls(socket: Socket): socket is TLSSocket {
  return (socket as Partial<TLSSocket>).encrypted === true;
}

/** `identify(socket)`, computed once per connection (peer credentials cost a child process). */
export function connectionIdentities(
  credentials: PeerCredentialsReader,
): (socket: Socket) => Promise<ConnectionIdentity> {
  const known = new WeakMap<Socket, Promise<ConnectionIdentity>>();
  return (socket) => {
    let identity = known.get(socket);
    if (identity === undefined) {
      identity = identify(socket, credentials);
      known.set(socket, identity);
    }
    return identity;
  };
}

async function identify(socket: Socket, credentials: PeerCredentialsReader): Promise<ConnectionIdentity> {
  if (isTls(socket)) {
    const fingerprint = socket.getPeerCertificate().fingerprint256;
    return {
      client: fingerprint ? { kind: 'certificate', fingerprint } : null,
      caller: null,
      remote: true,
    };
  }
  const peer = await credentials(socket);
  return {
    client: peer && { kind: 'user', uid: peer.uid },
    caller: peer && { uid: peer.uid, gid: peer.gid },
    remote: false,
  };
}
