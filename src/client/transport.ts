/**
 * @module How the client reaches skiffd: a Unix socket, or TLS over TCP (tls-transport.ts). The client asks
 * a transport for a connection per request, and for the words to say when one fails.
 */
import { connect, type Socket } from 'node:net';
import type { SkiffError } from '../core/errors.js';

export interface Connector {
  /** Opens the connection (given to node:http as createConnection). */
  open(): Socket;
  /** The event that says the connection is up and verified ('connect', or 'secureConnect' for TLS). */
  readyEvent: 'connect' | 'secureConnect';
}

export interface Transport {
  /** Where the daemon is, for messages: a socket path or HOST:PORT. */
  readonly where: string;
  /** TCP: no daemon to autostart, no peer credentials. */
  readonly remote: boolean;
  /** Everything a connection needs first (for TLS: the client's certificate, the server's pin). */
  connector(): Promise<Connector>;
  /** A better error for a connection that failed before it was up, or null for the generic one. */
  refusal(error: NodeJS.ErrnoException): Promise<SkiffError | null>;
}

export class UnixTransport implements Transport {
  readonly remote = false;
  constructor(readonly where: string) {}

  connector(): Promise<Connector> {
    return Promise.resolve({ open: () => connect(this.where), readyEvent: 'connect' });
  }

  refusal(): Promise<SkiffError | null> {
    return Promise.resolve(null);
  }
}
