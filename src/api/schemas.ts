/**
 * @module The JSON Schemas of the wire contract, beside their types in contract.ts. skiffd validates requests
 * (and serialises the remotes response) with them, and the OpenAPI document is built from the routes that use
 * them. Each schema is checked against its type at compile time: it describes every field, and no other. No I/O.
 */
import type {
  ExecQuery,
  AddForwardBody,
  AuthenticateBody,
  AddMountBody,
  IdMapJson,
  UmountQuery,
  BootBody,
  CloneBody,
  DeleteQuery,
  FindQuery,
  ForwardParams,
  ImageUploadJson,
  InstanceParams,
  LaunchBody,
  NetworkJson,
  NetworkOptionJson,
  NetworksResponse,
  RemoteJson,
  RemotesResponse,
  SetSettingBody,
  SettingParams,
  StopBody,
  UploadParams,
  WaitReadyQuery,
} from './contract.js';

/** What a schema of the object type T must be: an object schema whose properties are exactly T's fields. */
interface ObjectSchema<T> {
  readonly type: 'object';
  readonly properties: { readonly [K in keyof Required<T>]: object };
  readonly required?: readonly (keyof T & string)[];
  readonly additionalProperties?: boolean;
}

/** Longest wait a client may ask for, in seconds (one day). */
const MAX_WAIT_S = 86_400;

/** Largest image a client may upload: far above any cloud image, below what a JSON number holds exactly. */
const MAX_UPLOAD_BYTES = 2 ** 44;

/** `:name` of /instances/:name and its actions. */
export const instanceParamsSchema = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
  required: ['name'],
} as const satisfies ObjectSchema<InstanceParams>;

const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const;
/** Dotted-quad IPv4 (core/forward-rule.ts checks each octet). */
const IPV4 = { type: 'string', maxLength: 15, pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' } as const;
const PROTOCOL = { type: 'string', enum: ['tcp', 'udp'] } as const;

export const addForwardBodySchema = {
  type: 'object',
  properties: { protocol: PROTOCOL, host_address: IPV4, host_port: PORT, guest_port: PORT },
  required: ['host_port', 'guest_port'],
  additionalProperties: false,
} as const satisfies ObjectSchema<AddForwardBody>;

/** /instances/:name/forwards/:protocol/:host_address/:host_port */
export const forwardParamsSchema = {
  type: 'object',
  properties: {
    name: instanceParamsSchema.properties.name,
    protocol: PROTOCOL,
    host_address: IPV4,
    host_port: PORT,
  },
  required: ['name', 'protocol', 'host_address', 'host_port'],
} as const satisfies ObjectSchema<ForwardParams>;

/** `:key` of /settings/:key. */
export const settingParamsSchema = {
  type: 'object',
  properties: { key: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['key'],
} as const satisfies ObjectSchema<SettingParams>;

export const imageUploadSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2, maxLength: 4096, pattern: '^/' },
    size_bytes: { type: 'integer', minimum: 1, maximum: MAX_UPLOAD_BYTES },
    mtime_ms: { type: 'number', minimum: 0 },
  },
  required: ['name', 'size_bytes', 'mtime_ms'],
  additionalProperties: false,
} as const satisfies ObjectSchema<ImageUploadJson>;

/** Bounds the body; the instances service has the real (smaller) limit and says it in words. */
const MAX_NETWORK_OPTIONS = 64;

/** One `--network`; the daemon checks the MAC and the interface again, in words that name the option. */
export const networkOptionSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    mode: { type: 'string', enum: ['auto', 'manual'] },
    mac: { type: 'string', maxLength: 17 },
  },
  required: ['name'],
  additionalProperties: false,
} as const satisfies ObjectSchema<NetworkOptionJson>;

const ID = { type: 'integer', minimum: 0, maximum: 0xfffffffe } as const;
const idMapSchema = {
  type: 'object',
  properties: { host: ID, guest: ID },
  required: ['host', 'guest'],
  additionalProperties: false,
} as const satisfies ObjectSchema<IdMapJson>;
/** Paths the daemon checks further (core/mount-spec.ts, services/mounts/rights.ts). */
const MOUNT_PATH = { type: 'string', minLength: 1, maxLength: 4096 } as const;
const MAX_ID_MAPS = 32;
const MAX_LAUNCH_MOUNTS = 16;

export const addMountBodySchema = {
  type: 'object',
  properties: {
    source_path: MOUNT_PATH,
    target_path: MOUNT_PATH,
    type: { type: 'string', enum: ['native', 'classic'] },
    uid_mappings: { type: 'array', items: idMapSchema, maxItems: MAX_ID_MAPS },
    gid_mappings: { type: 'array', items: idMapSchema, maxItems: MAX_ID_MAPS },
  },
  required: ['source_path'],
  additionalProperties: false,
} as const satisfies ObjectSchema<AddMountBody>;

export const umountQuerySchema = {
  type: 'object',
  properties: { target: MOUNT_PATH },
  additionalProperties: false,
} as const satisfies ObjectSchema<UmountQuery>;

export const launchBodySchema = {
  type: 'object',
  properties: {
    image: { type: 'string', maxLength: 2048 },
    image_upload: imageUploadSchema,
    name: { type: 'string', maxLength: 63 },
    cpus: { type: 'integer', minimum: 1, maximum: 512 },
    memory: { type: 'string', maxLength: 32 },
    disk: { type: 'string', maxLength: 32 },
    cloud_init: { type: 'string', maxLength: 1_048_576 },
    timeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_WAIT_S },
    networks: { type: 'array', items: networkOptionSchema, maxItems: MAX_NETWORK_OPTIONS },
    mounts: { type: 'array', items: addMountBodySchema, maxItems: MAX_LAUNCH_MOUNTS },
  },
  additionalProperties: false,
} as const satisfies ObjectSchema<LaunchBody>;

/** `:token` of an upload's path: what the launch's upload line named. */
export const uploadParamsSchema = {
  type: 'object',
  properties: { token: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
  required: ['token'],
} as const satisfies ObjectSchema<UploadParams>;

export const cloneBodySchema = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
  additionalProperties: false,
} as const satisfies ObjectSchema<CloneBody>;

/** `start` and `restart`. */
export const bootBodySchema = {
  type: 'object',
  properties: { timeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_WAIT_S } },
  additionalProperties: false,
} as const satisfies ObjectSchema<BootBody>;

export const stopBodySchema = {
  type: 'object',
  properties: {
    force: { type: 'boolean' },
    // Minutes: up to a year, as `stop -t` allows.
    time: { type: 'integer', minimum: 0, maximum: 525_600 },
    cancel: { type: 'boolean' },
  },
  additionalProperties: false,
} as const satisfies ObjectSchema<StopBody>;

export const deleteQuerySchema = {
  type: 'object',
  properties: { purge: { type: 'boolean' } },
  additionalProperties: false,
} as const satisfies ObjectSchema<DeleteQuery>;

export const findQuerySchema = {
  type: 'object',
  properties: {
    query: { type: 'string', maxLength: 256 },
    show_unsupported: { type: 'boolean' },
    force_update: { type: 'boolean' },
    timeout: { type: 'number', minimum: 0, maximum: MAX_WAIT_S },
  },
  additionalProperties: false,
} as const satisfies ObjectSchema<FindQuery>;

export const waitReadyQuerySchema = {
  type: 'object',
  properties: { timeout: { type: 'number', minimum: 0, maximum: MAX_WAIT_S } },
  additionalProperties: false,
} as const satisfies ObjectSchema<WaitReadyQuery>;

export const setSettingBodySchema = {
  type: 'object',
  properties: { value: { type: 'string', maxLength: 4096 } },
  required: ['value'],
  additionalProperties: false,
} as const satisfies ObjectSchema<SetSettingBody>;

export const authenticateBodySchema = {
  type: 'object',
  properties: { passphrase: { type: 'string', maxLength: 4096 } },
  required: ['passphrase'],
  additionalProperties: false,
} as const satisfies ObjectSchema<AuthenticateBody>;

export const authenticateResponseSchema = {
  type: 'object',
  properties: { authenticated: { type: 'boolean', const: true } },
  required: ['authenticated'],
} as const;

/** RemoteJson; as a response schema it also decides which fields are serialised. */
export const remoteJsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    state: { type: 'string', enum: ['fresh', 'stale', 'unreachable', 'pending'] },
    last_success: { type: ['string', 'null'] },
    last_error: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { cause: { type: 'string' }, url: { type: 'string' }, message: { type: 'string' } },
        },
      ],
    },
    next_attempt: { type: ['string', 'null'] },
    attempting: { type: 'boolean' },
    images: { type: 'integer' },
  },
} as const satisfies ObjectSchema<RemoteJson>;

export const remotesResponseSchema = {
  type: 'object',
  properties: { remotes: { type: 'array', items: remoteJsonSchema } },
} as const satisfies ObjectSchema<RemotesResponse>;

/** NetworkJson; as a response schema it also decides which fields are serialised. */
export const networkJsonSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' } },
  required: ['name', 'type', 'description'],
} as const satisfies ObjectSchema<NetworkJson>;

export const networksResponseSchema = {
  type: 'object',
  properties: { list: { type: 'array', items: networkJsonSchema } },
  required: ['list'],
} as const satisfies ObjectSchema<NetworksResponse>;

const TERMINAL_SIDE = { type: 'integer', minimum: 1, maximum: 10_000 } as const;

/** `GET PATHS.instanceExec`'s query string (a websocket upgrade). */
export const execQuerySchema = {
  type: 'object',
  properties: {
    command: { type: 'array', items: { type: 'string', maxLength: 65_536 }, maxItems: 4096 },
    working_directory: { type: 'string', minLength: 1, maxLength: 4096 },
    tty: { type: 'boolean' },
    cols: TERMINAL_SIDE,
    rows: TERMINAL_SIDE,
    term: { type: 'string', pattern: '^[A-Za-z0-9._+-]{1,64}$' },
    subsystem: { type: 'string', enum: ['sftp'] },
  },
  additionalProperties: false,
} as const satisfies ObjectSchema<ExecQuery>;
