/**
 * @module Tiny authoritative UDP DNS server for integration tests: A records from a map, NXDOMAIN for
 * unknown names, and a silent mode that drops queries to reproduce a dead resolver.
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import type { ListenOptions } from './mirror-server.js';

/** Name (case-insensitive, trailing dot optional) → IPv4 address. */
export type DnsRecords = Record<string, string>;

/** One query the server saw. `rcode` is absent when the query was dropped (silent mode). */
export interface DnsQuery {
  name: string;
  type: string;
  rcode?: 'NOERROR' | 'NXDOMAIN';
  answers: string[];
  atMs: number;
}

export interface DnsServerOptions {
  records?: DnsRecords;
  /** Called for each query after it is answered (used by dns-main to stream the log). */
  onQuery?: (query: DnsQuery) => void;
}

const NXDOMAIN = 3;
const TTL_SEC = 5;

const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** A UDP DNS server on loopback (or inside a test namespace) answering from a map. */
export class DnsServer {
  readonly #log: DnsQuery[] = [];
  readonly #onQuery: ((query: DnsQuery) => void) | undefined;
  #records = new Map<string, string>();
  #silent = false;
  #socket: Socket | undefined;

  constructor(options: DnsServerOptions = {}) {
    this.setRecords(options.records ?? {});
    this.#onQuery = options.onQuery;
  }

  /** Binds (default 127.0.0.1, ephemeral port); resolves to the bound address. Rejects on bind errors. */
  async start(options: ListenOptions = {}): Promise<{ address: string; port: number }> {
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('message', (message, remote) => this.#answer(socket, message, remote));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A bad packet or unreachable client must never crash a test's server.
    socket.on('error', () => undefined);
    this.#socket = socket;
    const { address, port } = socket.address();
    return { address, port };
  }

  /** Replaces the records; throws if an address is not IPv4. */
  setRecords(records: DnsRecords): void {
    const next = new Map<string, string>();
    for (const [name, ip] of Object.entries(records)) {
      if (!isIPv4(ip)) throw new Error(`dns: ${name}: ${ip} is not an IPv4 address`);
      next.set(normalise(name), ip);
    }
    this.#records = next;
  }

  /** While silent, queries are logged and dropped, so resolvers time out as with a dead server. */
  setSilent(silent: boolean): void {
    this.#silent = silent;
  }

  /** A snapshot of the query log, oldest first. */
  get queries(): DnsQuery[] {
    return this.#log.map((query) => ({ ...query, answers: [...query.answers] }));
  }

  /** Forgets the query log. */
  clearQueries(): void {
    this.#log.length = 0;
  }

  /** Unbinds the socket. */
  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #answer(socket: Socket, message: Buffer, remote: RemoteInfo): void {
    let request: DecodedPacket;
    try {
      request = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = request.questions?.[0];
    if (request.type !== 'query' || question === undefined) return;
    const name = normalise(question.name);
    const query: DnsQuery = { name, type: question.type, answers: [], atMs: Date.now() };
    this.#log.push(query);
    if (this.#silent) {
      this.#onQuery?.({ ...query });
      return;
    }
    const ip = this.#records.get(name);
    // A known name with no record of the asked type is NODATA (NOERROR, no answers), not NXDOMAIN:
    // getaddrinfo asks A and AAAA together and must not see the AAAA miss as "no such host".
    const answers: Answer[] =
      ip !== undefined && question.type === 'A'
        ? [{ type: 'A', name: question.name, ttl: TTL_SEC, data: ip }]
        : [];
    query.rcode = ip === undefined ? 'NXDOMAIN' : 'NOERROR';
    query.answers = answers.length > 0 && ip !== undefined ? [ip] : [];
    const flags =
      dnsPacket.AUTHORITATIVE_ANSWER |
      dnsPacket.RECURSION_AVAILABLE |
      ((request.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
      (ip === undefined ? NXDOMAIN : 0);
    const response = dnsPacket.encode({
      type: 'response',
      id: request.id ?? 0,
      flags,
      questions: [question],
      answers,
    });
    socket.send(response, remote.port, remote.address);
    this.#onQuery?.({ ...query, answers: [...query.answers] });
  }
}
