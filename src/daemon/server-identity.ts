/**
 * @module skiffd's TLS identity for `--address`: a self-signed certificate made on first start and kept in the
 * data dir (`tls/server.pem`, `tls/server-key.pem`, mode 0600), so clients that pinned it keep trusting it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf, makeSelfSigned, type CertificatePair } from '../core/certificate.js';
import { SkiffError } from '../core/errors.js';
import { readOptional } from '../core/read-optional.js';

export interface ServerIdentity extends CertificatePair {
  fingerprint: string;
  certPath: string;
}

/**
 * The daemon's certificate and key, made now if there are none.
 * @throws SkiffError('internal') when the files exist but are unusable (naming them: remove both to make new)
 */
export async function serverIdentity(dataDir: string): Promise<ServerIdentity & { made: boolean }> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server-key.pem');
  const existing = await readPair(certPath, keyPath);
  if (existing !== null) return { ...existing, certPath, made: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = await makeSelfSigned(`skiffd@${hostname()}`);
  // The key first: a certificate is only ever found next to its key.
  await writeFile(keyPath, pair.keyPem, { mode: 0o600 });
  await writeFile(certPath, pair.certPem, { mode: 0o600 });
  return { ...pair, fingerprint: fingerprintOf(pair.certPem), certPath, made: true };
}

async function readPair(certPath: string, keyPath: string): Promise<Omit<ServerIdentity, 'certPath'> | null> {
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem === null) return null;
  try {
    if (keyPem === null) throw new Error('the key is missing');
    return { certPem, keyPem, fingerprint: fingerprintOf(certPem) };
  } catch (error) {
    throw new SkiffError(
      'internal',
      `skiffd's TLS certificate ${certPath} is unusable (${(error as Error).message}); remove it and ` +
        `${keyPath} to have a new one made (clients will then refuse it until they trust the new one)`,
      { cause: error },
    );
  }
}
