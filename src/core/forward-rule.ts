/**
 * @module Port forwarding rules (`skiff forward`): the text the user types, parsed once at the edge, and the
 * checks the daemon applies to rules that arrive over the API. Pure. A rule forwards `hostAddress:hostPort`
 * on the host to `guestPort` in the guest, for one protocol.
 *
 * @example
 * parseForwardSpec('8080:80');              // { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }
 * parseForwardSpec('0.0.0.0:5353:53/udp');  // { protocol: 'udp', hostAddress: '0.0.0.0', ... }
 * parseForwardHost('127.0.0.1:8080/tcp');   // { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080 }
 */
import { SkiffError } from './errors.js';

export type ForwardProtocol = 'tcp' | 'udp';
export const FORWARD_PROTOCOLS: readonly ForwardProtocol[] = ['tcp', 'udp'];

/** Where a forward listens on the host: what `forward remove` names. */
export interface ForwardHost {
  protocol: ForwardProtocol;
  /** An IPv4 literal; `0.0.0.0` listens on every address. */
  hostAddress: string;
  hostPort: number;
}

export interface ForwardRule extends ForwardHost {
  guestPort: number;
}

/** Where a forward listens unless the user says otherwise: the host alone, never the network. */
export const DEFAULT_FORWARD_ADDRESS = '127.0.0.1';
/** Host ports below this need root (the daemon binds them for the caller). */
export const FIRST_UNPRIVILEGED_PORT = 1024;

const invalid = (message: string, field: string) =>
  new SkiffError('invalid-argument', message, { details: { field } });

/** `[ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]`. @throws SkiffError('invalid-argument') naming the bad part */
export function parseForwardSpec(text: string): ForwardRule {
  const { body, protocol } = splitProtocol(text);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw invalid(
      `forward "${text}": expected [ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:8080:80/tcp`,
      'rule',
    );
  const [address, hostPort, guestPort] = parts.length === 3 ? parts : [undefined, ...parts];
  return {
    protocol,
    hostAddress: address === undefined ? DEFAULT_FORWARD_ADDRESS : checkAddress(address, text),
    hostPort: parsePort(hostPort!, 'host port', text),
    guestPort: parsePort(guestPort!, 'guest port', text),
  };
}

/** `[ADDR:]HOSTPORT[/tcp|/udp]`, what `forward remove` takes. @throws SkiffError('invalid-argument') */
export function parseForwardHost(text: string): ForwardHost {
  const { body, protocol } = splitProtocol(text);
  const parts = body.split(':');
  if (parts.length > 2)
    throw invalid(
      `forward "${text}": expected [ADDRESS:]HOSTPORT[/tcp|/udp], e.g. 8080 or 127.0.0.1:8080/udp`,
      'rule',
    );
  const [address, hostPort] = parts.length === 2 ? parts : [undefined, parts[0]];
  return {
    protocol,
    hostAddress: address === undefined ? DEFAULT_FORWARD_ADDRESS : checkAddress(address, text),
    hostPort: parsePort(hostPort!, 'host port', text),
  };
}

/**
 * Checks a rule that arrived as structured values (the API), with the same words as the parser.
 * @throws SkiffError('invalid-argument') naming the field
 */
export function checkForwardRule(rule: ForwardRule): ForwardRule {
  checkForwardHost(rule);
  checkPortNumber(rule.guestPort, 'guest port', String(rule.guestPort));
  return rule;
}

/** As checkForwardRule, for a rule's host side. */
export function checkForwardHost<T extends ForwardHost>(host: T): T {
  if (!FORWARD_PROTOCOLS.includes(host.protocol))
    throw invalid(`protocol "${host.protocol}": expected tcp or udp`, 'protocol');
  checkAddress(host.hostAddress, host.hostAddress);
  checkPortNumber(host.hostPort, 'host port', String(host.hostPort));
  return host;
}

/** `127.0.0.1:8080/tcp`: how messages and tables name a rule's host side. */
export function forwardHostLabel(host: ForwardHost): string {
  return `${host.hostAddress}:${host.hostPort}/${host.protocol}`;
}

/** Whether two host sides would take the same socket: same protocol and port, and one address covers the other. */
export function forwardHostsOverlap(a: ForwardHost, b: ForwardHost): boolean {
  return (
    a.protocol === b.protocol &&
    a.hostPort === b.hostPort &&
    (a.hostAddress === b.hostAddress || a.hostAddress === '0.0.0.0' || b.hostAddress === '0.0.0.0')
  );
}

/** Same host side exactly (what `remove` matches). */
export function sameForwardHost(a: ForwardHost, b: ForwardHost): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && a.hostAddress === b.hostAddress;
}

function splitProtocol(text: string): { body: string; protocol: ForwardProtocol } {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return { body: text, protocol: 'tcp' };
  const protocol = text.slice(slash + 1).toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp')
    throw invalid(`forward "${text}": protocol "${text.slice(slash + 1)}" is not tcp or udp`, 'protocol');
  return { body: text.slice(0, slash), protocol };
}

function parsePort(text: string, what: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text))
    throw invalid(`forward "${whole}": ${what} "${text}" is not a port number (1-65535)`, fieldOf(what));
  return checkPortNumber(Number(text), what, whole);
}

function checkPortNumber(port: number, what: string, whole: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalid(`forward "${whole}": ${what} ${port} is out of range (1-65535)`, fieldOf(what));
  return port;
}

/** An IPv4 literal in dotted-quad form, no leading zeros (they read as octal to some tools). */
function checkAddress(address: string, whole: string): string {
  const octets = address.split('.');
  const ok = octets.length === 4 && octets.every((o) => /^(?:0|[1-9]\d{0,2})$/.test(o) && Number(o) <= 255);
  if (!ok)
    throw invalid(
      `forward "${whole}": host address "${address}" is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)`,
      'host_address',
    );
  return address;
}

const fieldOf = (what: string) => (what === 'host port' ? 'host_port' : 'guest_port');
