/**
 * @module Self-signed TLS certificates for skiffd and its clients (ECDSA P-256), and their fingerprints.
 * Node makes keys but not X.509 certificates, so @peculiar/x509 signs them (on Node's WebCrypto). It is loaded
 * only when a certificate is made (once per daemon and once per user), never on the common path.
 */
import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** About 20 years: the certificate is pinned by fingerprint, never checked against a CA or a date. */
const VALID_MS = 20 * 365 * 24 * 3600 * 1000;

/** A new key and a self-signed certificate for `commonName`. */
export async function makeSelfSigned(commonName: string, now = new Date()): Promise<CertificatePair> {
  // tsyringe, which @peculiar/x509 uses, needs the Reflect metadata polyfill loaded before it.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // a positive serial, random so two certificates of one name never share one
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, '_')}`,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + VALID_MS),
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
  return { certPem: cert.toString('pem'), keyPem };
}

/**
 * The SHA-256 fingerprint of a certificate (PEM or DER), as `openssl x509 -fingerprint -sha256` prints it.
 * @throws Error when it is not a certificate
 */
export function fingerprintOf(cert: string | Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}
