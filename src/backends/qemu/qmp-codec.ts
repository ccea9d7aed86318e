/**
 * @module Pure QMP framing: QEMU's monitor speaks one JSON object per line (CRLF-terminated) over a unix
 * socket. This module splits a byte stream into lines and turns each line into a typed message, and encodes
 * commands. No sockets here: qmp-client.ts does the I/O.
 */
import { SkiffError } from '../../core/errors.js';

/** The first line QEMU sends on a new connection. */
export interface QmpGreeting {
  kind: 'greeting';
  version: { major: number; minor: number; micro: number; package: string };
  capabilities: string[];
}

/** A successful command reply. */
export interface QmpReturn {
  kind: 'return';
  id: string | undefined;
  value: unknown;
}

/** A failed command reply (`class` is e.g. GenericError, CommandNotFound, DeviceNotActive). */
export interface QmpErrorReply {
  kind: 'error';
  id: string | undefined;
  errorClass: string;
  desc: string;
}

/** An asynchronous event (SHUTDOWN, STOP, RESUME, POWERDOWN, RESET...). */
export interface QmpEvent {
  kind: 'event';
  event: string;
  data: Record<string, unknown>;
  /** Microseconds since the epoch, from QEMU's `timestamp`. */
  timestampUs: number;
}

export type QmpMessage = QmpGreeting | QmpReturn | QmpErrorReply | QmpEvent;

/** Raised for a line that is not a QMP message (not JSON, or none of the four shapes). */
export function qmpProtocolError(message: string, line: string): SkiffError {
  return new SkiffError('internal', `QMP protocol error: ${message}: ${line.slice(0, 200)}`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalId = (value: unknown): string | undefined =>
  value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);

/** Parses one QMP line. @throws SkiffError internal naming what is wrong with the line */
export function parseQmpMessage(line: string): QmpMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    throw qmpProtocolError(`not JSON (${(error as Error).message})`, line);
  }
  if (!isObject(raw)) throw qmpProtocolError('not a JSON object', line);
  if (isObject(raw.QMP)) {
    const qmp = raw.QMP;
    const version = isObject(qmp.version) ? qmp.version : {};
    const qemu = isObject(version.qemu) ? version.qemu : {};
    return {
      kind: 'greeting',
      version: {
        major: Number(qemu.major ?? 0),
        minor: Number(qemu.minor ?? 0),
        micro: Number(qemu.micro ?? 0),
        package: typeof version.package === 'string' ? version.package : '',
      },
      capabilities: Array.isArray(qmp.capabilities) ? qmp.capabilities.map(String) : [],
    };
  }
  if ('return' in raw) return { kind: 'return', id: optionalId(raw.id), value: raw.return };
  if (isObject(raw.error)) {
    return {
      kind: 'error',
      id: optionalId(raw.id),
      errorClass: typeof raw.error.class === 'string' ? raw.error.class : 'GenericError',
      desc: typeof raw.error.desc === 'string' ? raw.error.desc : JSON.stringify(raw.error),
    };
  }
  if (typeof raw.event === 'string') {
    const ts = isObject(raw.timestamp) ? raw.timestamp : {};
    return {
      kind: 'event',
      event: raw.event,
      data: isObject(raw.data) ? raw.data : {},
      timestampUs: Number(ts.seconds ?? 0) * 1_000_000 + Number(ts.microseconds ?? 0),
    };
  }
  throw qmpProtocolError('not a greeting, return, error or event', line);
}

/** Encodes a command as one line. `id` lets replies be matched to requests. */
export function encodeQmpCommand(execute: string, args?: Record<string, unknown>, id?: string): string {
  const message: Record<string, unknown> = { execute };
  if (args !== undefined) message.arguments = args;
  if (id !== undefined) message.id = id;
  return `${JSON.stringify(message)}\n`;
}

/**
 * Accumulates socket chunks and yields complete lines (without CR/LF, blank lines dropped). A partial last
 * line waits for the next chunk; multi-byte UTF-8 split across chunks is kept intact by working on bytes.
 */
export class QmpLineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Buffer | string): string[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const lines: string[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf(0x0a, start); nl !== -1; nl = this.pending.indexOf(0x0a, start)) {
      const line = this.pending.subarray(start, nl).toString('utf8').replace(/\r$/, '');
      if (line.trim() !== '') lines.push(line);
      start = nl + 1;
    }
    this.pending = this.pending.subarray(start);
    return lines;
  }

  /** Bytes received after the last newline. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}
