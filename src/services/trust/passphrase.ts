/**
 * @module The `local.passphrase` hash: scrypt with a random salt, stored as `scrypt$N$r$p$SALT$HASH` (base64),
 * so a stolen settings file does not give the passphrase away cheaply. Compared in constant time.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify<string, Buffer, number, ScryptOptions, Buffer>(scrypt);

/** Cost parameters: N=2^15 takes ~50-100 ms and 32 MiB, once per `set` and per `authenticate` attempt. */
const COST = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const STORED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

type Cost = { N: number; r: number; p: number };
const options = (cost: Cost): ScryptOptions => ({ ...cost, maxmem: 256 * cost.N * cost.r });

/** The stored form of `passphrase` (a fresh salt each time). */
export function hashPassphrase(passphrase: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(passphrase.normalize('NFC'), salt, KEY_BYTES, options(COST));
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `stored` is a hash hashPassphrase could have made (with sane costs). */
export function isPassphraseHash(stored: string): boolean {
  const m = STORED.exec(stored);
  if (m === null) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

/**
 * Whether `passphrase` is the one `stored` was made from; false for anything that is not such a hash. Off the
 * event loop (libuv's pool), so an attempt does not stall the daemon's other requests.
 */
export async function verifyPassphrase(passphrase: string, stored: string): Promise<boolean> {
  if (!isPassphraseHash(stored)) return false;
  const m = STORED.exec(stored)!;
  const expected = Buffer.from(m[5]!, 'base64');
  if (expected.length !== KEY_BYTES) return false;
  const cost = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const actual = await scryptAsync(
    passphrase.normalize('NFC'),
    Buffer.from(m[4]!, 'base64'),
    KEY_BYTES,
    options(cost),
  );
  return timingSafeEqual(actual, expected);
}
