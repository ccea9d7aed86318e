/**
 * @module The wire contract between skiff and skiffd: paths, bodies and the error mapping. No I/O. The JSON
 * Schemas of these types are beside them, in schemas.ts.
 */
import type { ErrorCode } from '../core/errors.js';
import type { FetchFailure } from '../core/fetch-error.js';

export const API_PREFIX = '/1.0';

export const PATHS = {
  version: `${API_PREFIX}/version`,
  remotes: `${API_PREFIX}/remotes`,
  images: `${API_PREFIX}/images`,
  waitReady: `${API_PREFIX}/wait-ready`,
  settings: `${API_PREFIX}/settings`,
  setting: (key: string) => `${API_PREFIX}/settings/${encodeURIComponent(key)}`,
  openapi: `${API_PREFIX}/openapi.json`,
  /** Registers the calling client (its uid, or its TLS certificate) with the `local.passphrase`. */
  authenticate: `${API_PREFIX}/authenticate`,
  instances: `${API_PREFIX}/instances`,
  instance: (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}`,
  instanceAction: (name: string, action: InstanceAction) =>
    `${API_PREFIX}/instances/${encodeURIComponent(name)}/${action}`,
  /** Copies a stopped instance under a new name (NDJSON). */
  instanceClone: (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}/clone`,
  /** A websocket (HTTP upgrade): runs a command in the instance; see ExecQuery and exec-frames.ts. */
  instanceExec: (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}/exec`,
  instanceForwards: (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}/forwards`,
  /** One forward, by its host side. */
  instanceForward: (name: string, host: ForwardHostJson) =>
    `${API_PREFIX}/instances/${encodeURIComponent(name)}/forwards/${host.protocol}/${host.host_address}/${host.host_port}`,
  /** Every instance's forwards. */
  forwards: `${API_PREFIX}/forwards`,
  /** An instance's mounts; DELETE with `?target=PATH` for one, without for all. */
  instanceMounts: (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}/mounts`,
  purge: `${API_PREFIX}/purge`,
  cachedImages: `${API_PREFIX}/cache/images`,
  /** Host interfaces usable for `launch --network`. */
  networks: `${API_PREFIX}/networks`,
  /** Where a client PUTs the bytes of an image a launch asked for (see UploadLine). */
  upload: (token: string) => `${API_PREFIX}/uploads/${encodeURIComponent(token)}`,
} as const;

export type InstanceAction = 'start' | 'stop' | 'restart' | 'suspend' | 'recover';

/** Content type of streamed operations: one JSON object per line, the last one a result or an error. */
export const NDJSON = 'application/x-ndjson';

export type StreamLine<T> =
  | { type: 'progress'; message: string; download?: DownloadJson }
  | UploadLine
  | { type: 'result'; result: T }
  | { type: 'error'; error: ErrorBody['error'] };

/**
 * A launch with `image_upload` is ready for the bytes: the client PUTs the file to `PATHS.upload(token)`
 * (`application/octet-stream`, exactly `size_bytes` long) on a second connection, while this stream goes on
 * reporting progress. The token is random and good for that one launch only.
 */
export interface UploadLine {
  type: 'upload';
  token: string;
}

/** `:token` of an upload's path. */
export interface UploadParams {
  token: string;
}

/** Content type of an upload's body. */
export const OCTET_STREAM = 'application/octet-stream';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/**
 * The HTTP status of each error code. The body's `code` is what clients branch on; the status only groups
 * them: 502 for what an upstream server (a mirror) sent or failed to send, 507 for a full disk, 500 for what
 * the host lacks or the daemon got wrong.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  conflict: 409,
  unsupported: 501,
  timeout: 504,
  'catalog-unavailable': 503,
  'download-failed': 502,
  'checksum-mismatch': 502,
  'disk-full': 507,
  'missing-dependency': 500,
  'key-unreadable': 500,
  'permission-denied': 403,
  unauthenticated: 401,
  'daemon-unreachable': 502,
  internal: 500,
};

export interface VersionResponse {
  skiffd: string;
}

export interface RemoteJson {
  name: string;
  url: string;
  state: 'fresh' | 'stale' | 'unreachable' | 'pending';
  /** ISO 8601 with milliseconds, or null when never fetched. */
  last_success: string | null;
  last_error: FetchFailure | null;
  next_attempt: string | null;
  attempting: boolean;
  images: number;
}

export interface RemotesResponse {
  remotes: RemoteJson[];
}

export interface FindQuery {
  query?: string;
  show_unsupported?: boolean;
  force_update?: boolean;
  /** Seconds to wait for a catalog that is missing. */
  timeout?: number;
}

export interface FindImageJson {
  os: string;
  release: string;
  version: string;
  aliases: string[];
  remote: string;
}

/** Multipass's `find --format json` shape, plus `warnings` (stale catalogs) which scripts may ignore. */
export interface FindResponse {
  errors: string[];
  warnings: string[];
  images: Record<string, FindImageJson>;
}

export interface WaitReadyQuery {
  timeout?: number;
}

export interface WaitReadyResponse {
  ready: true;
  remotes: RemoteJson[];
}

/** `:key` of a setting's path. */
export interface SettingParams {
  key: string;
}

export interface SetSettingBody {
  value: string;
}

export interface AuthenticateBody {
  passphrase: string;
}

export interface AuthenticateResponse {
  authenticated: true;
}

export interface SettingsResponse {
  settings: Record<string, string>;
}

export interface SettingResponse {
  key: string;
  value: string;
}

export interface DownloadJson {
  bytes: number;
  total_bytes: number | null;
  rate_bytes_per_s: number;
  eta_s: number | null;
}

/** `:name` of an instance's path. */
export interface InstanceParams {
  name: string;
}

/** An image file the client will send itself (it opened the file with its user's rights). */
export interface ImageUploadJson {
  /** The absolute path the user gave, shown only; `.xz`/`.gz` suffixes are decompressed. */
  name: string;
  size_bytes: number;
  mtime_ms: number;
}

export interface LaunchBody {
  /** Alias, release, id prefix or http(s) URL; never `file://` (see image_upload). */
  image?: string;
  image_upload?: ImageUploadJson;
  name?: string;
  cpus?: number;
  memory?: string;
  disk?: string;
  /** The user-data text, in any format cloud-init reads (the CLI reads the file or stdin). */
  cloud_init?: string;
  timeout?: number;
  /** Extra NICs, in guest order after the primary one (`--network`, `--bridged`). */
  networks?: NetworkOptionJson[];
  /** Host directories to mount (`--mount SOURCE[:TARGET]`), native, with the caller's default id maps. */
  mounts?: AddMountBody[];
}

/**
 * The name that stands for the interface in `local.bridged-network` (Multipass's shortcut: `--bridged` is
 * `--network bridged`).
 */
export const BRIDGED_NETWORK = 'bridged';

/** One `launch --network name=IF[,mode=auto|manual][,mac=MAC]`. */
export interface NetworkOptionJson {
  /** A host interface from `networks`, or BRIDGED_NETWORK. */
  name: string;
  /** auto (default): cloud-init configures it with DHCP; manual: left to the user. */
  mode?: 'auto' | 'manual';
  /** Default: a generated 52:54:00:xx:xx:xx. */
  mac?: string;
}

/** One host interface of Multipass's `networks --format json`. */
export interface NetworkJson {
  name: string;
  /** `bridge` or `ethernet`. */
  type: string;
  description: string;
}

/** Multipass's `networks --format json`, sorted by name. */
export interface NetworksResponse {
  list: NetworkJson[];
}

export interface InstanceSummaryJson {
  name: string;
  state: string;
  ipv4: string[];
  release: string;
}

/** `list --format json` of Multipass. */
export interface ListResponse {
  list: InstanceSummaryJson[];
}

/** One instance in `info --format json` of Multipass (numbers as strings where Multipass has them so). */
export interface InstanceInfoJson {
  state: string;
  image_hash: string;
  image_release: string;
  release: string;
  cpu_count: string;
  snapshot_count: string;
  load: number[];
  disks: Record<string, { used: string; total: string }>;
  memory: { used?: number; total?: number };
  ipv4: string[];
  mounts: Record<string, InfoMountJson>;
  /**
   * skiff's addition (Multipass parsers ignore it): how current release, load, disks, memory and ipv4 are.
   * Null when the instance is not running.
   */
  guest_facts?: GuestFactsJson | null;
  /**
   * skiff's addition: `nat` (skiff's bridge; ipv4 is reachable from the host) or `user` (user-mode networking:
   * reachable only through exec, shell and port forwards).
   */
  network_mode?: 'nat' | 'user';
}

/**
 * fresh: read within the last 15 s. stale: older, or the latest read failed or is slow (`error` says why);
 * the fields hold the last facts read. pending: the first read of this boot has not finished (`error` may
 * say the guest is slow). unavailable: never read, and the latest read failed.
 */
export interface GuestFactsJson {
  status: 'fresh' | 'stale' | 'pending' | 'unavailable';
  /** When the guest fields were read (ISO 8601), or null. */
  read_at: string | null;
  /** Their age in seconds (one decimal) when this answer was made, or null. */
  age_s: number | null;
  error: string | null;
}

export interface StopBody {
  force?: boolean;
  /** Delay in minutes (`stop -t`). */
  time?: number;
  cancel?: boolean;
}

export interface ActionResponse {
  name: string;
  state: string;
  /** What the user should know although the operation succeeded (cloud-init errors in the guest). */
  warnings?: string[];
}

export interface DeleteQuery {
  /** Delete for good (no `recover`). */
  purge?: boolean;
}

/** `clone`. */
export interface CloneBody {
  /** The clone's name; default `SOURCE-cloneN`, the first free N. */
  name?: string;
}

/** `start` and `restart`. */
export interface BootBody {
  /** Seconds to wait for the guest (default 300). */
  timeout?: number;
}

/**
 * What `GET PATHS.instanceExec` runs (query string). Without `command` and `subsystem`: the login shell.
 * The websocket then carries the streams and the exit code (exec-frames.ts).
 */
export interface ExecQuery {
  /** The argv, word for word (repeat the parameter for each word). */
  command?: string[];
  /** Run the command in this guest directory. */
  working_directory?: string;
  /** Give the command a terminal (stdout and stderr then arrive merged, on stdout). */
  tty?: boolean;
  /** The terminal's first size (tty only; resize messages change it later). */
  cols?: number;
  rows?: number;
  /** The terminal type (tty only; the client's TERM). Default `xterm`. */
  term?: string;
  /** An SSH subsystem instead of a command: `sftp` (transfer speaks SFTP through it). */
  subsystem?: 'sftp';
}

export interface CachedImageJson {
  id: string;
  path: string;
  size_bytes: number;
  source: unknown;
  fetched_at: string;
  last_used: string;
  used_by: string[];
}

/** Where a forward listens on the host (`forward remove` names it so). */
export interface ForwardHostJson {
  protocol: 'tcp' | 'udp';
  /** An IPv4 literal; `0.0.0.0` is every address. */
  host_address: string;
  host_port: number;
}

/** `:name`, `:protocol`, `:host_address`, `:host_port` of one forward's path. */
export interface ForwardParams extends ForwardHostJson {
  name: string;
}

/** `forward add`: protocol tcp and address 127.0.0.1 unless given. */
export interface AddForwardBody {
  protocol?: 'tcp' | 'udp';
  host_address?: string;
  host_port: number;
  guest_port: number;
}

export interface ForwardJson extends ForwardHostJson {
  instance: string;
  guest_port: number;
  /** Carried now: the instance runs and the host port is held for it. */
  active: boolean;
}

export interface ForwardsResponse {
  forwards: ForwardJson[];
}

/** One host id shown in the guest as another. */
export interface IdMapJson {
  host: number;
  guest: number;
}

/** `mount SOURCE NAME[:TARGET]`: the source is an absolute path the CLI resolved (no symlink in it). */
export interface AddMountBody {
  source_path: string;
  /** Absent: the source's own path; relative: under the guest's default user's home. */
  target_path?: string;
  /** native (default): virtiofs, or 9p; classic: SSHFS. */
  type?: 'native' | 'classic';
  /** Absent: ids pass through unchanged (the guest's default user is 1000). */
  uid_mappings?: IdMapJson[];
  gid_mappings?: IdMapJson[];
}

export interface MountJson {
  instance: string;
  source_path: string;
  target_path: string;
  type: 'native' | 'classic';
  uid_mappings: IdMapJson[];
  gid_mappings: IdMapJson[];
  /** What carries it: virtiofs or 9p (native), sshfs (classic); absent until it is first mounted. */
  transport?: 'virtiofs' | '9p' | 'sshfs';
  /** Mounted in the guest now (the instance runs). */
  active: boolean;
  /** Why a mount added to a running instance waits for its next start (e.g. 9p comes only with a boot). */
  pending?: string;
}

export interface MountsResponse {
  mounts: MountJson[];
}

/** `umount NAME[:TARGET]`: one target, or (absent) every mount of the instance. */
export interface UmountQuery {
  target?: string;
}

export interface UmountResponse {
  /** The guest paths unmounted. */
  unmounted: string[];
}

/** One mount in Multipass's `info` JSON (`1000:default` = the guest's default user). */
export interface InfoMountJson {
  source_path: string;
  uid_mappings: string[];
  gid_mappings: string[];
}
