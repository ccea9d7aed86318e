/**
 * @module This user's client certificate for remote daemons: made on first use and kept in
 * `$XDG_CONFIG_HOME/skiff/client-certificate/` (mode 0600), registered with a daemon by `skiff authenticate`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { makeSelfSigned, type CertificatePair } from '../core/certificate.js';
import { SkiffError } from '../core/errors.js';
import { readOptional } from '../core/read-optional.js';

/** The user's certificate and key, made now when there are none. */
export async function clientIdentity(dir: string): Promise<CertificatePair> {
  const certPath = join(dir, 'client.pem');
  const keyPath = join(dir, 'client-key.pem');
  const [certPem, keyPem] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
  if (certPem !== null && keyPem !== null) return { certPem, keyPem };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = await makeSelfSigned(`skiff@${safeUser()}@${hostname()}`);
  // 'wx' for the key: two first runs at once must not end with one's key beside the other's certificate.
  try {
    await writeFile(keyPath, pair.keyPem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [cert, key] = await Promise.all([readOptional(certPath), readOptional(keyPath)]);
    if (cert !== null && key !== null) return { certPem: cert, keyPem: key };
    throw new SkiffError(
      'internal',
      `the client certificate in ${dir} is incomplete (a key without its certificate); remove ${keyPath} and ` +
        'run skiff again to make a new one (then authenticate again)',
      { cause: error },
    );
  }
  await writeFile(certPath, pair.certPem, { mode: 0o600 });
  return pair;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}
