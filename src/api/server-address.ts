/**
 * @module Where a client finds skiffd: `SKIFF_SERVER_ADDRESS` (Multipass's `MULTIPASS_SERVER_ADDRESS`), as
 * `HOST:PORT` for TLS over TCP or `unix:PATH` for a socket; also the shape of `skiffd --address`. Pure.
 */
import { isIP } from 'node:net';
import { SkiffError } from '../core/errors.js';

export type ServerAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Parses `HOST:PORT` (an IPv6 host in brackets: `[::1]:50051`) or, when `allowUnix`, `unix:PATH`.
 * @throws SkiffError('invalid-argument') naming `field` and what is wrong
 */
export function parseServerAddress(text: string, field: string, allowUnix = true): ServerAddress {
  const bad = (why: string) =>
    new SkiffError('invalid-argument', `${field} "${text}": ${why}`, { details: { field } });
  if (text.startsWith('unix:')) {
    if (!allowUnix) throw bad('expected HOST:PORT');
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) throw bad('expected unix:/absolute/path');
    return { kind: 'unix', path };
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) throw bad(`expected HOST:PORT${allowUnix ? ' or unix:PATH' : ''}`);
  const host = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined && isIP(host) !== 6) throw bad('only an IPv6 address goes in brackets');
  if (match[2] !== undefined && isIP(host) === 0 && !HOST_NAME.test(host))
    throw bad(`"${host}" is neither an IP address nor a host name`);
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw bad('the port must be between 1 and 65535');
  return { kind: 'tcp', host, port };
}

/** `HOST:PORT` as written back (brackets round an IPv6 address), or `unix:PATH`. */
export function formatServerAddress(address: ServerAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
