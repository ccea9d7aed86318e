/**
 * @module Which clients skiffd serves (Multipass's authenticated clients): users of the Unix socket, known by
 * uid, and remote clients, known by their TLS certificate's fingerprint. As in Multipass, the first local
 * user is trusted on first use; everyone else registers with `authenticate` and the `local.passphrase`.
 * Root always may. The list lives in the data dir (`trusted-clients.json`), written atomically.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { loadStateFile, writeStateFile, type Decoded, type StateLoad } from '../persist/state-file.js';
import { AttemptLimiter, DEFAULT_ATTEMPT_POLICY, type AttemptPolicy } from './attempt-limiter.js';
import { verifyPassphrase } from './passphrase.js';
import { notAuthenticated, passphraseNotCorrect, passphraseNotSet } from './trust-errors.js';

/** Who is asking: a local user (peer credentials) or a remote client (its certificate's SHA-256). */
export type Client = { kind: 'user'; uid: number } | { kind: 'certificate'; fingerprint: string };

export interface TrustedClients {
  uids: number[];
  certificates: { fingerprint: string; added: string }[];
}

const SCHEMA = 1;
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

export interface TrustServiceOptions {
  dataDir: string;
  /** The stored `local.passphrase` hash, '' when none is set. */
  passphraseHash: () => string;
  now: () => number;
  policy?: AttemptPolicy;
}

export class TrustService {
  private trusted: TrustedClients = { uids: [], certificates: [] };
  private readonly path: string;
  private readonly limiter: AttemptLimiter;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: TrustServiceOptions) {
    this.path = join(options.dataDir, 'trusted-clients.json');
    this.limiter = new AttemptLimiter(options.now, options.policy ?? DEFAULT_ATTEMPT_POLICY);
  }

  async load(): Promise<StateLoad<TrustedClients>> {
    const loaded = await loadStateFile({
      path: this.path,
      schema: SCHEMA,
      decode: decodeTrusted,
      now: this.options.now(),
    });
    this.trusted = loaded.value ?? { uids: [], certificates: [] };
    return loaded;
  }

  /**
   * Whether `client` may use skiffd now. The first local user other than root is trusted on the spot (and
   * kept), as Multipass trusts its first client.
   */
  async admits(client: Client): Promise<boolean> {
    if (client.kind === 'certificate')
      return this.trusted.certificates.some((c) => c.fingerprint === client.fingerprint);
    if (client.uid === 0 || this.trusted.uids.includes(client.uid)) return true;
    if (this.trusted.uids.length > 0) return false;
    await this.add(client);
    return true;
  }

  /** @throws SkiffError('unauthenticated') with Multipass's words and how to authenticate */
  async check(client: Client): Promise<void> {
    if (!(await this.admits(client))) throw notAuthenticated(client.kind === 'certificate');
  }

  /**
   * Registers `client` when `passphrase` is `local.passphrase`. Wrong passphrases slow that client down.
   * @throws SkiffError('permission-denied') when no passphrase is set, the passphrase is wrong, or the client
   *   must wait (`details.retry_after_s`)
   */
  async authenticate(client: Client, passphrase: string): Promise<void> {
    const key = client.kind === 'user' ? `uid:${client.uid}` : `cert:${client.fingerprint}`;
    const waitMs = this.limiter.waitMs(key);
    if (waitMs > 0) throw passphraseNotCorrect(Math.ceil(waitMs / 1000), true);
    const stored = this.options.passphraseHash();
    if (stored === '') throw passphraseNotSet();
    if (!(await verifyPassphrase(passphrase, stored))) {
      const nextMs = this.limiter.failed(key);
      throw passphraseNotCorrect(Math.ceil(nextMs / 1000), false);
    }
    this.limiter.succeeded(key);
    if (!(await this.admits(client))) await this.add(client);
  }

  /** The trusted clients (a copy). */
  list(): TrustedClients {
    return structuredClone(this.trusted);
  }

  private async add(client: Client): Promise<void> {
    const next = structuredClone(this.trusted);
    if (client.kind === 'user') next.uids.push(client.uid);
    else
      next.certificates.push({
        fingerprint: client.fingerprint,
        added: new Date(this.options.now()).toISOString(),
      });
    // One write at a time, in order: two first users at once must not lose one of them.
    const write = this.writing.then(() => writeStateFile(this.path, SCHEMA, next));
    this.writing = write.catch(() => undefined);
    await write;
    this.trusted = next;
  }
}

/** Keeps each well-formed entry. @throws SkiffError when `data` is not the expected object. */
export function decodeTrusted(data: unknown): Decoded<TrustedClients> {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new SkiffError('internal', 'trusted clients: expected an object');
  const raw = data as { uids?: unknown; certificates?: unknown };
  const dropped: string[] = [];
  const uids: number[] = [];
  for (const uid of Array.isArray(raw.uids) ? raw.uids : []) {
    if (Number.isInteger(uid) && (uid as number) > 0) uids.push(uid as number);
    else dropped.push(`dropped trusted uid ${JSON.stringify(uid)}: not a user id`);
  }
  const certificates: TrustedClients['certificates'] = [];
  for (const entry of Array.isArray(raw.certificates) ? raw.certificates : []) {
    const { fingerprint, added } = (entry ?? {}) as { fingerprint?: unknown; added?: unknown };
    if (typeof fingerprint === 'string' && FINGERPRINT.test(fingerprint) && typeof added === 'string')
      certificates.push({ fingerprint, added });
    else dropped.push(`dropped trusted certificate ${JSON.stringify(entry)}: not a SHA-256 fingerprint`);
  }
  return { value: { uids, certificates }, dropped };
}
