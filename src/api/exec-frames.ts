/**
 * @module The exec channel's framing, shared by skiffd and its clients. A websocket carries it: each binary
 * message is one channel byte (stdin 0, stdout 1, stderr 2) followed by the raw bytes, so any byte passes
 * untouched; each text message is one JSON control message (resize, stdin closed, exit, error).
 */
import type { ErrorBody } from './contract.js';

/** The byte streams, by their channel byte. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** Largest terminal side accepted in a resize (a guard against nonsense, far above any real screen). */
export const MAX_TERMINAL_SIDE = 10_000;

/** Client to daemon: the terminal's new size (tty sessions), or the end of stdin. */
export type ClientControl = { type: 'resize'; cols: number; rows: number } | { type: 'stdin-eof' };

/** Daemon to client: the command's exit code (the last message), or why it could not run. */
export type ServerControl = { type: 'exit'; code: number } | { type: 'error'; error: ErrorBody['error'] };

/** A bad frame: the peer broke the protocol. */
export class FrameError extends Error {}

/** One binary message: `channel` then `bytes`. */
export function encodeData(channel: Channel, bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(bytes.length + 1);
  frame[0] = channel;
  frame.set(bytes, 1);
  return frame;
}

/** Splits a binary message. @throws FrameError on an empty message or an unknown channel. */
export function decodeData(frame: Buffer): { channel: Channel; bytes: Buffer } {
  if (frame.length === 0) throw new FrameError('an empty binary message (no channel byte)');
  const channel = frame[0]!;
  if (channel !== CHANNEL.stdin && channel !== CHANNEL.stdout && channel !== CHANNEL.stderr)
    throw new FrameError(`unknown channel ${channel}`);
  return { channel, bytes: frame.subarray(1) };
}

/** A websocket message as the `ws` library hands it over, joined into one Buffer. */
export function messageBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

const side = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_TERMINAL_SIDE;

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError(`a control message that is not JSON: ${text.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FrameError('a control message that is not a JSON object');
  return value as Record<string, unknown>;
}

/** Parses a control message from a client. @throws FrameError naming what is wrong. */
export function parseClientControl(text: string): ClientControl {
  const message = parseObject(text);
  if (message.type === 'stdin-eof') return { type: 'stdin-eof' };
  if (message.type === 'resize') {
    if (!side(message.cols) || !side(message.rows))
      throw new FrameError(`resize: cols and rows must be whole numbers from 1 to ${MAX_TERMINAL_SIDE}`);
    return { type: 'resize', cols: message.cols, rows: message.rows };
  }
  throw new FrameError(`unknown control message type ${JSON.stringify(message.type)}`);
}

/** Parses a control message from skiffd. @throws FrameError naming what is wrong. */
export function parseServerControl(text: string): ServerControl {
  const message = parseObject(text);
  if (message.type === 'exit') {
    if (!Number.isInteger(message.code) || (message.code as number) < 0 || (message.code as number) > 255)
      throw new FrameError('exit: code must be a whole number from 0 to 255');
    return { type: 'exit', code: message.code as number };
  }
  if (message.type === 'error') {
    const error = message.error as ErrorBody['error'] | undefined;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string')
      throw new FrameError('error: needs an error with a code and a message');
    return { type: 'error', error };
  }
  throw new FrameError(`unknown control message type ${JSON.stringify(message.type)}`);
}

/** A control message as the text of a websocket message. */
export const encodeControl = (message: ClientControl | ServerControl): string => JSON.stringify(message);
