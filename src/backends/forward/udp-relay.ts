/**
 * @module A UDP forward carried by the daemon: datagrams from each client address go to the guest from an
 * upstream socket of that client's own, so the guest's answers find their way back to the right client. An
 * upstream socket that carried nothing for `idleMs` is closed, and the number of clients at once is bounded
 * (a flood of spoofed sources must not open sockets without end: past the bound, new clients are dropped).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ForwardRule, Relay } from '../../services/forwards/ports.js';
import { listenError } from './listen-error.js';

export interface UdpRelayOptions {
  /** Close a client's upstream socket after this long without a datagram either way. Default 60 s. */
  idleMs?: number;
  /** Clients carried at once. Default 1024. */
  maxClients?: number;
}

interface Session {
  upstream: Socket;
  timer: NodeJS.Timeout;
}

export class UdpRelay implements Relay {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxClients: number;

  private constructor(
    private readonly front: Socket,
    private readonly target: { host: string; port: number },
    options: UdpRelayOptions,
  ) {
    this.idleMs = options.idleMs ?? 60_000;
    this.maxClients = options.maxClients ?? 1024;
    front.on('message', (message, from) => this.fromClient(message, from));
  }

  /** Binds the rule's host side. @throws SkiffError (listenError) when it cannot */
  static async open(
    rule: ForwardRule,
    target: { host: string; port: number },
    options: UdpRelayOptions = {},
  ): Promise<UdpRelay> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind({ address: rule.hostAddress, port: rule.hostPort, exclusive: true }, () => {
        front.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      throw listenError(error, rule);
    });
    // A failed send (ICMP unreachable reported on the socket) must not take the relay down.
    front.on('error', () => undefined);
    return new UdpRelay(front, target, options);
  }

  /** Clients with an upstream socket now. */
  get clients(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    for (const key of [...this.sessions.keys()]) this.end(key);
    await new Promise<void>((resolve) => this.front.close(() => resolve()));
  }

  private fromClient(message: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let session = this.sessions.get(key);
    if (session === undefined) {
      if (this.sessions.size >= this.maxClients) return;
      session = this.open(key, from);
    }
    session.timer.refresh();
    session.upstream.send(message, this.target.port, this.target.host);
  }

  private open(key: string, client: RemoteInfo): Session {
    const upstream = createSocket('udp4');
    const timer = setTimeout(() => this.end(key), this.idleMs).unref();
    const session = { upstream, timer };
    upstream.on('message', (message, from) => {
      // Only the guest's own answers go back: the upstream port is not a way into the client.
      if (from.address !== this.target.host || from.port !== this.target.port) return;
      timer.refresh();
      this.front.send(message, client.port, client.address);
    });
    upstream.on('error', () => this.end(key));
    this.sessions.set(key, session);
    return session;
  }

  private end(key: string): void {
    const session = this.sessions.get(key);
    if (session === undefined) return;
    this.sessions.delete(key);
    clearTimeout(session.timer);
    try {
      session.upstream.close();
    } catch {
      // already closed
    }
  }
}
