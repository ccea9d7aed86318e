/**
 * @module The typed client of skiffd's API over its Unix socket (node:http: no extra start-up cost for the CLI).
 * Error bodies become SkiffErrors again; a socket nobody answers on, or a daemon that dies mid-answer, is
 * `daemon-unreachable` with a sentence saying so (never a Node stack trace).
 */
import { request, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import {
  NDJSON,
  OCTET_STREAM,
  PATHS,
  type AddMountBody,
  type MountJson,
  type MountsResponse,
  type UmountResponse,
  type ActionResponse,
  type AuthenticateResponse,
  type AddForwardBody,
  type BootBody,
  type CloneBody,
  type CachedImageJson,
  type DownloadJson,
  type InstanceAction,
  type InstanceInfoJson,
  type LaunchBody,
  type ListResponse,
  type NetworksResponse,
  type ExecQuery,
  type StopBody,
  type ErrorBody,
  type FindQuery,
  type FindResponse,
  type ForwardHostJson,
  type ForwardJson,
  type ForwardsResponse,
  type RemotesResponse,
  type SettingResponse,
  type SettingsResponse,
  type StreamLine,
  type VersionResponse,
  type WaitReadyResponse,
} from '../api/contract.js';
import {
  SNAPSHOT_PATHS,
  type RestoreSnapshotBody,
  type RestoreSnapshotResponse,
  type SnapshotJson,
  type SnapshotsResponse,
  type TakeSnapshotBody,
  type TakeSnapshotResponse,
} from '../api/snapshots.js';
import type { Socket } from 'node:net';
import { isErrorCode, SkiffError } from '../core/errors.js';
import { UnixTransport, type Transport } from './transport.js';
import { ExecChannel } from './exec-channel.js';

/** Largest websocket message skiffd may send (it sends output in pipe-sized chunks). */
const MAX_EXEC_MESSAGE_BYTES = 16 << 20;

export type ProgressHandler = (message: string, download?: DownloadJson) => void;

/** Called when the daemon is ready for the bytes of an `image_upload` (see UploadLine). */
export type UploadHandler = (token: string) => void;

export class DaemonClient {
  readonly transport: Transport;

  /** `target`: a socket path, or a transport (TLS for a remote daemon). */
  constructor(target: string | Transport) {
    this.transport = typeof target === 'string' ? new UnixTransport(target) : target;
  }

  /** Where the daemon is (a socket path or HOST:PORT), for messages. */
  get where(): string {
    return this.transport.where;
  }

  /** Registers this client (its user, or its certificate over TLS) with the daemon's passphrase. */
  authenticate(passphrase: string): Promise<AuthenticateResponse> {
    return this.json('POST', PATHS.authenticate, { passphrase });
  }

  version(): Promise<VersionResponse> {
    return this.json('GET', PATHS.version);
  }

  remotes(): Promise<RemotesResponse> {
    return this.json('GET', PATHS.remotes);
  }

  networks(): Promise<NetworksResponse> {
    return this.json('GET', PATHS.networks);
  }

  find(query: FindQuery, onProgress: ProgressHandler): Promise<FindResponse> {
    return this.stream(`${PATHS.images}${queryString({ ...query })}`, onProgress);
  }

  waitReady(timeoutS: number | undefined, onProgress: ProgressHandler): Promise<WaitReadyResponse> {
    return this.stream(`${PATHS.waitReady}${queryString({ timeout: timeoutS })}`, onProgress);
  }

  settings(): Promise<SettingsResponse> {
    return this.json('GET', PATHS.settings);
  }

  getSetting(key: string): Promise<SettingResponse> {
    return this.json('GET', PATHS.setting(key));
  }

  setSetting(key: string, value: string): Promise<SettingResponse> {
    return this.json('PUT', PATHS.setting(key), { value });
  }

  launch(body: LaunchBody, onProgress: ProgressHandler, onUpload?: UploadHandler): Promise<ActionResponse> {
    return this.stream(PATHS.instances, onProgress, 'POST', body, onUpload);
  }

  /**
   * PUTs `sizeBytes` bytes of `body` to the upload `token` a launch asked for. Resolves once the daemon read
   * them all. @throws SkiffError from the daemon's answer, or 'daemon-unreachable' when the connection broke.
   */
  async upload(token: string, body: Readable, sizeBytes: number): Promise<void> {
    const response = await this.send('PUT', PATHS.upload(token), new UploadBody(body, sizeBytes));
    const text = await lostMidAnswer(readAll(response));
    if ((response.statusCode ?? 500) >= 400) throw fromErrorBody(errorBodyOf(text), response.statusCode);
  }

  list(): Promise<ListResponse> {
    return this.json('GET', PATHS.instances);
  }

  info(name: string): Promise<InstanceInfoJson> {
    return this.json('GET', PATHS.instance(name));
  }

  action(
    name: string,
    verb: InstanceAction,
    body: StopBody | BootBody | undefined,
    onProgress: ProgressHandler,
  ): Promise<ActionResponse> {
    return this.stream(PATHS.instanceAction(name, verb), onProgress, 'POST', body ?? {});
  }

  /** Clones the stopped `source`; the result names the clone. */
  clone(source: string, body: CloneBody, onProgress: ProgressHandler): Promise<ActionResponse> {
    return this.stream(PATHS.instanceClone(source), onProgress, 'POST', body);
  }

  delete(name: string, purge: boolean): Promise<ActionResponse> {
    return this.json('DELETE', `${PATHS.instance(name)}${purge ? '?purge=true' : ''}`);
  }

  purge(): Promise<{ purged: string[] }> {
    return this.json('POST', PATHS.purge, {});
  }

  /** The forwards of `name`, or of every instance. */
  forwards(name?: string): Promise<ForwardsResponse> {
    return this.json('GET', name === undefined ? PATHS.forwards : PATHS.instanceForwards(name));
  }

  addForward(name: string, body: AddForwardBody): Promise<ForwardJson> {
    return this.json('POST', PATHS.instanceForwards(name), body);
  }

  removeForward(name: string, host: ForwardHostJson): Promise<ForwardJson> {
    return this.json('DELETE', PATHS.instanceForward(name, host));
  }

  mounts(name: string): Promise<MountsResponse> {
    return this.json('GET', PATHS.instanceMounts(name));
  }

  addMount(name: string, body: AddMountBody): Promise<MountJson> {
    return this.json('POST', PATHS.instanceMounts(name), body);
  }

  /** The snapshots of `name`, or of every instance that is not deleted. */
  snapshots(name?: string): Promise<SnapshotsResponse> {
    return this.json('GET', name === undefined ? SNAPSHOT_PATHS.all : SNAPSHOT_PATHS.instance(name));
  }

  snapshot(name: string, snapshot: string): Promise<SnapshotJson> {
    return this.json('GET', SNAPSHOT_PATHS.one(name, snapshot));
  }

  takeSnapshot(
    name: string,
    body: TakeSnapshotBody,
    onProgress: ProgressHandler,
  ): Promise<TakeSnapshotResponse> {
    return this.stream(SNAPSHOT_PATHS.instance(name), onProgress, 'POST', body);
  }

  restoreSnapshot(
    name: string,
    snapshot: string,
    body: RestoreSnapshotBody,
    onProgress: ProgressHandler,
  ): Promise<RestoreSnapshotResponse> {
    return this.stream(SNAPSHOT_PATHS.restore(name, snapshot), onProgress, 'POST', body);
  }

  deleteSnapshot(name: string, snapshot: string): Promise<{ deleted: string }> {
    return this.json('DELETE', SNAPSHOT_PATHS.one(name, snapshot));
  }

  /** Unmounts `target`, or every mount of `name`. */
  umount(name: string, target?: string): Promise<UmountResponse> {
    const query = target === undefined ? '' : `?target=${encodeURIComponent(target)}`;
    return this.json('DELETE', `${PATHS.instanceMounts(name)}${query}`);
  }

  cachedImages(): Promise<{ images: CachedImageJson[] }> {
    return this.json('GET', PATHS.cachedImages);
  }

  /**
   * Opens an exec session (a websocket on the transport's connection): the command starts at once; run() carries it.
   * @throws SkiffError from the daemon's answer (a bad query, an instance that is not running), or
   * daemon-unreachable
   */
  async exec(name: string, query: ExecQuery): Promise<ExecChannel> {
    // Loaded here: the other commands do not pay for parsing the websocket library at start-up.
    const { WebSocket } = await import('ws');
    const { command, ...rest } = query;
    const search = new URLSearchParams(
      Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]): [string, string] => [k, String(v)]),
    );
    for (const word of command ?? []) search.append('command', word);
    const path = `${PATHS.instanceExec(name)}?${search.toString()}`;
    const connector = await this.transport.connector().catch((error: NodeJS.ErrnoException) => {
      throw error instanceof SkiffError ? error : this.unreachable(error);
    });
    return new Promise((resolve, reject) => {
      let connected = false;
      let connection: Socket | null = null;
      // Whatever went wrong, the connection goes too: left open (a TLS one stays up), it keeps the CLI alive.
      const fail = (error: unknown) => {
        connection?.destroy();
        reject(error);
      };
      // The transport's own connection (a Unix socket, or TLS with the pinned certificate) carries the upgrade.
      const socket = new WebSocket(`ws://skiffd${path}`, {
        createConnection: () =>
          (connection = connector.open().once(connector.readyEvent, () => (connected = true))),
        perMessageDeflate: false,
        maxPayload: MAX_EXEC_MESSAGE_BYTES,
      });
      socket.once('open', () => resolve(new ExecChannel(socket)));
      // An answer instead of an upgrade: skiffd's error body.
      socket.once('unexpected-response', (_request, response) => {
        void lostMidAnswer(readAll(response)).then(
          (text) => fail(fromErrorBody(errorBodyOf(text), response.statusCode)),
          fail,
        );
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        if (connected) return fail(lostConnection(error.code ?? error.message, error));
        this.transport.refusal(error).then(
          (refusal) => fail(refusal ?? this.unreachable(error)),
          () => fail(this.unreachable(error)),
        );
      });
    });
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await lostMidAnswer(readAll(response));
    if ((response.statusCode ?? 500) >= 400) throw fromErrorBody(errorBodyOf(text), response.statusCode);
    return parseJson(text, path) as T;
  }

  /** Reads an NDJSON operation: progress lines go to the handler, the last line is the result or an error. */
  private async stream<T>(
    path: string,
    onProgress: ProgressHandler,
    method = 'GET',
    body?: unknown,
    onUpload?: UploadHandler,
  ): Promise<T> {
    const response = await this.send(method, path, body, NDJSON);
    if ((response.statusCode ?? 500) >= 400) {
      const text = await lostMidAnswer(readAll(response));
      throw fromErrorBody(errorBodyOf(text), response.statusCode);
    }
    const result = await lostMidAnswer(this.readStream<T>(response, path, onProgress, onUpload));
    if (result !== NO_RESULT) return result as T;
    throw lostConnection('the connection closed');
  }

  /** The result line of an NDJSON answer, NO_RESULT when it ended without one. Throws an error line as is. */
  private async readStream<T>(
    response: IncomingMessage,
    path: string,
    onProgress: ProgressHandler,
    onUpload?: UploadHandler,
  ): Promise<T | typeof NO_RESULT> {
    let buffered = '';
    for await (const chunk of response.setEncoding('utf8')) {
      buffered += chunk as string;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = parseJson(buffered.slice(0, newline), path) as StreamLine<T>;
        buffered = buffered.slice(newline + 1);
        if (line.type === 'progress') onProgress(line.message, line.download);
        else if (line.type === 'upload') {
          if (!onUpload)
            throw new SkiffError('internal', `skiffd asked for an upload nobody offered (${path})`);
          onUpload(line.token);
        } else if (line.type === 'result') return line.result;
        else throw fromErrorBody({ error: line.error }, undefined);
      }
    }
    return NO_RESULT;
  }

  /** A failed connection; a socket the user may not open says who may. */
  private unreachable(error: NodeJS.ErrnoException): SkiffError {
    if (error.code === 'EACCES') {
      return new SkiffError(
        'daemon-unreachable',
        `cannot connect to skiffd at ${this.where}: permission denied (EACCES); only root and members ` +
          'of the group skiff may use it',
        { cause: error, details: { reason: 'permission-denied' } },
      );
    }
    return new SkiffError(
      'daemon-unreachable',
      `cannot connect to skiffd at ${this.where}: ${error.code ?? error.message}`,
      { cause: error },
    );
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    accept = 'application/json',
  ): Promise<IncomingMessage> {
    const connector = await this.transport.connector().catch((error: NodeJS.ErrnoException) => {
      throw error instanceof SkiffError ? error : this.unreachable(error);
    });
    return new Promise((resolve, reject) => {
      const upload = body instanceof UploadBody ? body : null;
      const payload = body === undefined || upload !== null ? undefined : JSON.stringify(body);
      let connected = false;
      const req = request(
        {
          // Our own connection, without http's Agent: the Agent checks the host with net.isIP, whose IPv6 regex
          // compiles on first use for ~3 ms of every CLI run (see bench:find); one request needs no pooling.
          createConnection: () => connector.open().once(connector.readyEvent, () => (connected = true)),
          method,
          path,
          headers: {
            // An explicit Host, for the same reason: node:http would check the default one with net.isIP.
            host: 'skiffd',
            accept,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...(upload === null ? {} : { 'content-type': OCTET_STREAM, 'content-length': upload.sizeBytes }),
          },
        },
        resolve,
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (connected) return reject(lostConnection(error.code ?? error.message, error));
        this.transport.refusal(error).then(
          (refusal) => reject(refusal ?? this.unreachable(error)),
          () => reject(this.unreachable(error)),
        );
      });
      if (upload === null) req.end(payload);
      else {
        upload.stream.once('error', (error) => req.destroy(error));
        // Stopped before its end (the launch failed, Ctrl-C): the request must not wait for the rest.
        upload.stream.once('close', () => {
          if (!upload.stream.readableEnded) req.destroy(new Error('the upload was stopped'));
        });
        upload.stream.pipe(req);
      }
    });
  }
}

/** A request body sent as raw bytes (an upload) rather than as JSON. */
class UploadBody {
  constructor(
    readonly stream: Readable,
    readonly sizeBytes: number,
  ) {}
}

function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '' && v !== false);
  if (entries.length === 0) return '';
  return `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response.setEncoding('utf8')) text += chunk as string;
  return text;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SkiffError('internal', `skiffd sent an unreadable answer for ${path}: ${text.slice(0, 200)}`);
  }
}

/** The error body of a failed answer, or undefined when it has none (Node's own 414/431 have no body). */
function errorBodyOf(text: string): ErrorBody | undefined {
  try {
    return JSON.parse(text) as ErrorBody;
  } catch {
    return undefined;
  }
}

const NO_RESULT = Symbol('no result');

/** skiffd went away after the request was sent: it stopped, crashed or was restarted. */
function lostConnection(how: string, cause?: unknown): SkiffError {
  return new SkiffError(
    'daemon-unreachable',
    `lost the connection to skiffd before the operation finished (${how}): the daemon stopped or restarted; ` +
      'check its log, then see where the operation got to with "skiff list"',
    { cause, details: { connected: true } },
  );
}

/** Turns a socket error while reading an answer into lostConnection; SkiffErrors pass as they are. */
async function lostMidAnswer<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (error instanceof SkiffError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw lostConnection(code ?? (error instanceof Error ? error.message : String(error)), error);
  }
}

/** What a bare status (one without skiff's error body, from Node's HTTP parser) means for a user. */
const BARE_STATUS: Record<number, string> = {
  413: 'the request is too large for skiffd',
  414: 'the request is too long for skiffd: an argument (a name or a query) is too long',
  431: 'the request is too long for skiffd: an argument (a name or a query) is too long',
};

function fromErrorBody(body: ErrorBody | undefined, status: number | undefined): SkiffError {
  const error = body?.error;
  if (!error || typeof error.message !== 'string') {
    const sentence = status === undefined ? undefined : BARE_STATUS[status];
    if (sentence) return new SkiffError('invalid-argument', `${sentence} (HTTP ${status})`);
    return new SkiffError('internal', `skiffd answered HTTP ${status ?? '?'} without an error message`);
  }
  // A daemon newer than this client may send a code it does not know: keep the message, treat it as internal.
  const code = isErrorCode(error.code) ? error.code : 'internal';
  return new SkiffError(code, error.message, { details: error.details });
}
