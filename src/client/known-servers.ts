/**
 * @module The servers this user trusts (trust on first use, as SSH's known_hosts): one line per server,
 * `HOST:PORT SHA256-FINGERPRINT CERTIFICATE-BASE64`, in `$XDG_CONFIG_HOME/skiff/known-servers` (mode 0600).
 * The certificate itself is kept so a connection can trust exactly it (as its only CA) during the handshake,
 * before any request is sent.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownServer {
  fingerprint: string;
  certDer: Buffer;
}

/** Parses the file's text; malformed lines are skipped (they trust nothing). Pure. */
export function parseKnownServers(text: string): Map<string, KnownServer> {
  const known = new Map<string, KnownServer>();
  for (const line of text.split('\n')) {
    const [where, fingerprint, cert] = line.trim().split(/\s+/);
    if (!where || !fingerprint || !cert || where.startsWith('#')) continue;
    if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(fingerprint) || !/^[A-Za-z0-9+/]+=*$/.test(cert)) continue;
    known.set(where, { fingerprint, certDer: Buffer.from(cert, 'base64') });
  }
  return known;
}

/** The file's text for `known`. Pure. */
export function formatKnownServers(known: Map<string, KnownServer>): string {
  const lines = [...known].map(([where, s]) => `${where} ${s.fingerprint} ${s.certDer.toString('base64')}`);
  return `# skiff: servers this user trusts (HOST:PORT, SHA-256 fingerprint, certificate). Delete a line to\n# trust that server's next certificate on first use again.\n${lines.join('\n')}\n`;
}

export class KnownServers {
  constructor(readonly path: string) {}

  async get(where: string): Promise<KnownServer | null> {
    return (await this.read()).get(where) ?? null;
  }

  /** Pins `server` for `where` (replacing nothing: a pinned server stays as it is). */
  async add(where: string, server: KnownServer): Promise<void> {
    const known = await this.read();
    if (known.has(where)) return;
    known.set(where, server);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, formatKnownServers(known), { mode: 0o600 });
    await rename(temp, this.path);
  }

  private async read(): Promise<Map<string, KnownServer>> {
    try {
      return parseKnownServers(await readFile(this.path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
  }
}
