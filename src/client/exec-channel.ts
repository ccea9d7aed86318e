/**
 * @module The client end of an exec websocket (exec-frames.ts): pumps a local stdin to the command and its
 * stdout and stderr to local streams, each side waiting for the other when it is slower, and resolves with
 * the exit code. Sending stdin waits on the websocket's own buffer, so a large upload never sits in memory.
 */
import type { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  CHANNEL,
  decodeData,
  encodeControl,
  encodeData,
  FrameError,
  messageBytes,
  parseServerControl,
} from '../api/exec-frames.js';
import { isErrorCode, SkiffError } from '../core/errors.js';

export interface ExecIo {
  /** Read until its end, then the command's stdin is closed; null: the command gets an empty stdin. */
  stdin: Readable | null;
  stdout: Writable;
  stderr: Writable;
}

/** The largest stdin message (skiffd refuses messages over 1 MiB). */
const STDIN_MESSAGE_BYTES = 64 * 1024;

/** stdin the client sends before waiting for the websocket to flush. */
const STDIN_HIGH_WATER_BYTES = 1 << 20;

export class ExecChannel {
  private stdinSource: Readable | null = null;

  constructor(private readonly socket: WebSocket) {}

  /** Tells the command's terminal its new size (tty sessions). */
  resize(cols: number, rows: number): void {
    if (this.socket.readyState === this.socket.OPEN)
      this.socket.send(encodeControl({ type: 'resize', cols, rows }));
  }

  /** Ends the session: skiffd stops the command. */
  close(): void {
    this.socket.close(1000, 'closed by the client');
  }

  /**
   * Runs the session to its end. @returns the command's exit code
   * @throws SkiffError from skiffd's error message, or daemon-unreachable when the connection broke
   */
  run(io: ExecIo): Promise<number> {
    const { socket } = this;
    return new Promise<number>((resolve, reject) => {
      let result: { code: number } | { error: SkiffError } | null = null;
      socket.on('message', (data, isBinary) => {
        try {
          if (isBinary) {
            const { channel, bytes } = decodeData(messageBytes(data as Buffer));
            if (channel === CHANNEL.stdin) throw new FrameError('skiffd wrote on stdin');
            const out = channel === CHANNEL.stdout ? io.stdout : io.stderr;
            // A slow terminal or pipe: stop reading until it drained (skiffd then stops reading the command).
            if (!out.write(bytes)) {
              socket.pause();
              out.once('drain', () => socket.resume());
            }
            return;
          }
          const control = parseServerControl(messageBytes(data as Buffer).toString('utf8'));
          result =
            control.type === 'exit'
              ? { code: control.code }
              : {
                  error: new SkiffError(
                    isErrorCode(control.error.code) ? control.error.code : 'internal',
                    control.error.message,
                    { details: control.error.details },
                  ),
                };
        } catch (error) {
          result = {
            error: new SkiffError('internal', `exec: skiffd broke the protocol: ${(error as Error).message}`),
          };
          socket.close(1002, 'protocol error');
        }
      });
      socket.once('close', () => {
        this.stopStdin();
        if (result === null)
          reject(
            new SkiffError(
              'daemon-unreachable',
              'lost the connection to skiffd before the command finished: the daemon stopped or restarted',
            ),
          );
        else if ('error' in result) reject(result.error);
        else resolve(result.code);
      });
      socket.on('error', () => undefined); // 'close' follows and says it
      this.pumpStdin(io.stdin);
    });
  }

  private pumpStdin(stdin: Readable | null): void {
    const { socket } = this;
    const eof = () => {
      if (socket.readyState === socket.OPEN) socket.send(encodeControl({ type: 'stdin-eof' }));
    };
    if (stdin === null) return eof();
    this.stdinSource = stdin;
    stdin.on('data', (chunk: Buffer) => {
      if (socket.readyState !== socket.OPEN) return;
      // skiffd takes messages of at most 1 MiB; a stream may hand over any size at once.
      for (let at = 0; at < chunk.length; at += STDIN_MESSAGE_BYTES)
        socket.send(encodeData(CHANNEL.stdin, chunk.subarray(at, at + STDIN_MESSAGE_BYTES)), () => {
          if (socket.bufferedAmount < STDIN_HIGH_WATER_BYTES) stdin.resume();
        });
      if (socket.bufferedAmount >= STDIN_HIGH_WATER_BYTES) stdin.pause();
    });
    stdin.once('end', eof);
    stdin.once('error', eof);
  }

  /** Stops reading stdin (so the process can exit) without closing the caller's file descriptor. */
  private stopStdin(): void {
    const stdin = this.stdinSource;
    if (stdin === null) return;
    stdin.removeAllListeners('data');
    stdin.pause();
  }
}
