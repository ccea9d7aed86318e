/**
 * @module A QMP client over QEMU's unix socket: greeting, capabilities negotiation, commands matched to
 * replies by id with a per-command timeout, and events. QEMU serves one QMP connection at a time (others wait
 * in the listen backlog), so callers connect per operation and close promptly (see withQmp).
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { SkiffError } from '../../core/errors.js';
import { QmpLineSplitter, encodeQmpCommand, parseQmpMessage } from './qmp-codec.js';
import type { QmpEvent, QmpGreeting, QmpMessage } from './qmp-codec.js';

export interface QmpConnectOptions {
  /** Budget for connect + greeting + capabilities negotiation. Default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type EventListener = (event: QmpEvent) => void;

/** One negotiated QMP connection. Create with QmpClient.connect. */
export class QmpClient {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<EventListener>();
  private nextId = 1;
  private closeReason: Error | null = null;
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly path: string,
    /** QEMU's version and capabilities, from the greeting. */
    readonly greeting: QmpGreeting,
    splitter: QmpLineSplitter,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) this.dispatch(line);
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.failAll(this.closeReason ?? new SkiffError('internal', `QMP connection to ${path} closed`));
        resolve();
      });
    });
    socket.on('error', (error) => {
      this.closeReason = new SkiffError('internal', `QMP connection to ${path} failed: ${error.message}`, {
        cause: error,
      });
    });
  }

  /**
   * Connects to `path`, reads the greeting and negotiates capabilities.
   * @throws SkiffError internal (socket missing/refused, with the errno as cause) or timeout
   */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const socket = createConnection(path);
    const splitter = new QmpLineSplitter();
    const pendingLines: string[] = [];
    try {
      const greeting = await new Promise<QmpGreeting>((resolve, reject) => {
        const fail = (error: Error): void => {
          cleanup();
          reject(error);
        };
        const timer = setTimeout(
          () => fail(new SkiffError('timeout', `QMP ${path}: no greeting within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const onAbort = (): void => fail(options.signal?.reason as Error);
        const onError = (error: Error): void =>
          fail(new SkiffError('internal', `QMP ${path}: ${error.message}`, { cause: error }));
        const onClose = (): void =>
          fail(new SkiffError('internal', `QMP ${path}: closed before the greeting`));
        const onData = (chunk: Buffer): void => {
          pendingLines.push(...splitter.push(chunk));
          try {
            for (let line = pendingLines.shift(); line !== undefined; line = pendingLines.shift()) {
              const message = parseQmpMessage(line);
              // QEMU flushes events it queued while no client was connected (a guest's ACPI_DEVICE_OST
              // after a hot-plug, say) before the greeting: they predate this connection.
              if (message.kind === 'event') continue;
              if (message.kind !== 'greeting') throw new Error(`expected a greeting, got ${message.kind}`);
              cleanup();
              resolve(message);
              return;
            }
          } catch (error) {
            fail(error as Error);
          }
        };
        function cleanup(): void {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          socket.off('error', onError).off('close', onClose).off('data', onData);
        }
        if (options.signal?.aborted) return onAbort();
        options.signal?.addEventListener('abort', onAbort, { once: true });
        socket.on('error', onError).on('close', onClose).on('data', onData);
      });
      const client = new QmpClient(socket, path, greeting, splitter);
      for (const line of pendingLines) client.dispatch(line);
      await client.execute('qmp_capabilities', undefined, { timeoutMs });
      return client;
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /**
   * Runs a command and resolves with its `return` value.
   * @throws SkiffError internal for a QMP error reply (details.qmpClass) or a closed connection; timeout
   */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    options: { timeoutMs?: number } = {},
  ): Promise<T> {
    if (this.socket.destroyed) {
      return Promise.reject(
        this.closeReason ?? new SkiffError('internal', `QMP ${this.path}: connection closed`),
      );
    }
    const id = `skiff-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SkiffError('timeout', `QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(encodeQmpCommand(command, args, id));
    });
  }

  /** Runs an HMP command through QMP (`human-monitor-command`); HMP reports errors as text, so any output
   * starting with "Error" throws. @throws SkiffError internal */
  async human(commandLine: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const output = await this.execute<string>(
      'human-monitor-command',
      { 'command-line': commandLine },
      options,
    );
    if (/^error/i.test(output.trim())) {
      throw new SkiffError('internal', `HMP ${commandLine}: ${output.trim()}`);
    }
    return output;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes the connection (QEMU then accepts the next client). */
  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private dispatch(line: string): void {
    let message: QmpMessage;
    try {
      message = parseQmpMessage(line);
    } catch {
      return; // a garbled line must not take the connection down; its command times out instead
    }
    if (message.kind === 'event') {
      for (const listener of this.listeners) listener(message);
      return;
    }
    if (message.kind === 'greeting') return;
    // Replies carry our id; a reply without one (QEMU could not parse the request) belongs to the oldest.
    const id = message.id ?? this.pending.keys().next().value;
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (entry === undefined || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (message.kind === 'return') entry.resolve(message.value);
    else {
      entry.reject(
        new SkiffError('internal', `QMP ${entry.command}: ${message.errorClass}: ${message.desc}`, {
          details: { qmpClass: message.errorClass, command: entry.command },
        }),
      );
    }
  }

  private failAll(error: Error): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(error);
    }
  }
}

/** Connects, runs `fn`, and always closes. @throws whatever connect or `fn` throws */
export async function withQmp<T>(
  path: string,
  fn: (client: QmpClient) => Promise<T>,
  options: QmpConnectOptions = {},
): Promise<T> {
  const client = await QmpClient.connect(path, options);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
