/**
 * @module A TCP forward carried by the daemon: each connection on the host side gets its own connection to the
 * guest, bytes piped both ways. Half-close passes through (a client that shuts down its sending side still
 * gets the guest's answer), and a failure on either side ends both: a guest that refuses resets the client.
 *
 * Why not nftables DNAT to the guest: the default host address is 127.0.0.1, and DNAT of loopback traffic
 * needs the host-wide sysctl `net.ipv4.conf.*.route_localnet=1`, which exposes every 127.0.0.0/8 service to
 * routing tricks; skiff changes nothing of the host's network beyond its own bridge and table.
 */
import { connect, createServer, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { ForwardRule, Relay } from '../../services/forwards/ports.js';
import { listenError } from './listen-error.js';

export class TcpRelay implements Relay {
  /** Each carried connection: the client's socket and the one to the guest. */
  private readonly pairs = new Set<[client: Socket, upstream: Socket]>();

  private constructor(private readonly server: ReturnType<typeof createServer>) {}

  /** Listens on the rule's host side. @throws SkiffError (listenError) when it cannot */
  static async open(rule: ForwardRule, target: { host: string; port: number }): Promise<TcpRelay> {
    const server = createServer({ allowHalfOpen: true });
    const relay = new TcpRelay(server);
    server.on('connection', (client) => relay.carry(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: rule.hostAddress, port: rule.hostPort, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      throw listenError(error, rule);
    });
    // After listening, an error (EMFILE on accept) must not crash the daemon; the listener goes on.
    server.on('error', () => undefined);
    return relay;
  }

  /** Connections being carried now (client side). */
  get active(): number {
    return this.pairs.size;
  }

  /** Stops listening and ends every connection it carries. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const pair of this.pairs) for (const socket of pair) socket.destroy();
    await closed;
  }

  private carry(client: Socket, target: { host: string; port: number }): void {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    let open = 2;
    for (const socket of pair) {
      socket.setNoDelay(true);
      socket.once('close', () => {
        if (--open === 0) this.pairs.delete(pair);
      });
    }
    // A guest that refuses or resets: the client gets a reset too, not a clean end that looks like an answer.
    upstream.once('error', () => {
      if (!client.destroyed) client.resetAndDestroy();
    });
    const ended = (error: Error | null | undefined) => {
      if (!error) return;
      client.destroy();
      upstream.destroy();
    };
    pipeline(client, upstream, ended);
    pipeline(upstream, client, ended);
  }
}
