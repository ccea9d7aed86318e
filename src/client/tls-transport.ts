/**
 * @module TLS to a remote skiffd (SKIFF_SERVER_ADDRESS=HOST:PORT). The client shows its own certificate (made
 * on first use); the server's is trusted on first use: the first connection shows its fingerprint and pins
 * it, and every later handshake trusts that certificate alone (as its only CA, so a different one fails
 * the handshake before any request, a passphrase included, is sent).
 */
import { X509Certificate } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { SkiffError } from '../core/errors.js';
import type { CertificatePair } from '../core/certificate.js';
import type { KnownServers } from './known-servers.js';
import type { Connector, Transport } from './transport.js';

/** OpenSSL's verdicts for a certificate other than the pinned one. */
const NOT_THE_PINNED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export interface TlsTransportOptions {
  host: string;
  port: number;
  /** HOST:PORT as the user wrote it: the key of the pin. */
  where: string;
  identity: () => Promise<CertificatePair>;
  known: KnownServers;
  /** Told once, when a server is pinned (its fingerprint). */
  notice: (line: string) => void;
}

export class TlsTransport implements Transport {
  readonly remote = true;
  readonly where: string;

  constructor(private readonly options: TlsTransportOptions) {
    this.where = options.where;
  }

  async connector(): Promise<Connector> {
    const { host, port, known, where } = this.options;
    const identity = await this.options.identity();
    let pinned = await known.get(where);
    if (pinned === null) {
      const cert = await this.presented(identity);
      pinned = { fingerprint: cert.fingerprint256, certDer: cert.raw };
      await known.add(where, pinned);
      this.options.notice(
        `skiff: first connection to skiffd at ${where}; its certificate's SHA-256 fingerprint is\n` +
          `  ${pinned.fingerprint}\n` +
          `trusted from now on (saved in ${known.path}). Check it with the daemon's administrator ` +
          '(skiffd logs it at start).',
      );
    }
    const ca = new X509Certificate(pinned.certDer).toString();
    return {
      open: () =>
        connect({
          host,
          port,
          cert: identity.certPem,
          key: identity.keyPem,
          ca: [ca],
          // The pin is the server's identity: no host name to match (the daemon may be reached by any name).
          checkServerIdentity: () => undefined,
          minVersion: 'TLSv1.3',
        }),
      readyEvent: 'secureConnect',
    };
  }

  async refusal(error: NodeJS.ErrnoException): Promise<SkiffError | null> {
    if (!NOT_THE_PINNED.has(error.code ?? '')) return null;
    const pinned = await this.options.known.get(this.where);
    const now = await this.presented(await this.options.identity()).catch(() => null);
    if (pinned === null || now === null) return null;
    if (now.fingerprint256 === pinned.fingerprint) return null;
    const path = this.options.known.path;
    return new SkiffError(
      'daemon-unreachable',
      `the certificate of skiffd at ${this.where} has changed: it is now\n  ${now.fingerprint256}\n` +
        `but this client trusts\n  ${pinned.fingerprint}\n(saved in ${path}). ` +
        'Someone may be intercepting the connection, or skiffd made a new certificate (its data dir was ' +
        'reset). Refused. If you trust the new one (check its fingerprint with the administrator: skiffd ' +
        `logs it at start), delete the line for ${this.where} from ${path}, for example\n` +
        `  sed -i '/^${this.where.replace(/[[\]]/g, '\\$&')} /d' ${path}\n` +
        'and run skiff again: it will show and pin the new one.',
      {
        cause: error,
        details: {
          reason: 'server-certificate-changed',
          pinned: pinned.fingerprint,
          now: now.fingerprint256,
        },
      },
    );
  }

  /** The certificate the server shows now (a handshake, then closed: nothing is sent). */
  private presented(identity: CertificatePair): Promise<X509Certificate> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const socket: TLSSocket = connect({
        host,
        port,
        cert: identity.certPem,
        key: identity.keyPem,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3',
      });
      socket.once('secureConnect', () => {
        const cert = socket.getPeerX509Certificate();
        socket.destroy();
        if (cert === undefined)
          reject(new SkiffError('daemon-unreachable', `skiffd at ${this.where} showed no certificate`));
        else resolve(cert);
      });
      socket.once('error', reject);
    });
  }
}
