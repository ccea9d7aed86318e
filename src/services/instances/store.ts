/**
 * @module Instance records on disk (`instances.json`, atomic, schema-versioned, the previous version kept as
 * `.bak`). Writes are serialised, so two operations on different instances never overwrite each other's
 * change. Loading never fails on bad content: see persist/state-file.ts and record-decode.ts.
 */
import { join } from 'node:path';
import { loadStateFile, writeStateFile, type StateLoad } from '../persist/state-file.js';
import { decodeInstanceRecords } from './record-decode.js';
import type { InstanceState } from './state.js';
import type { IdMap, MountType } from '../../core/mount-spec.js';

const SCHEMA = 1;

export interface InstanceImage {
  /** sha256 of the base image (Multipass's image hash). */
  id: string;
  path: string;
  /** e.g. `24.04 LTS`, or `` for a custom image. */
  releaseTitle: string;
  /** e.g. `Ubuntu`, or `` for a custom image. */
  os: string;
  remote: string | null;
  /** What the user asked for: `noble`, `daily:24.04`, a URL or file. */
  query: string;
  version: string;
}

export interface InstanceRecord {
  name: string;
  state: InstanceState;
  /** The state to return to on `recover` (soft-deleted instances only). */
  stateBeforeDelete: InstanceState | null;
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
  /** Where the guest's SSH answered at its last start (the driver's endpoint). */
  sshPort: number;
  /** The host of that endpoint; absent in records older than the driver seam (127.0.0.1). */
  sshHost?: string;
  mac: string;
  image: InstanceImage;
  createdAtMs: number;
  /** When a delayed `stop -t` fires (ms since epoch), or null. */
  shutdownAtMs: number | null;
  /** False until launch finished (cloud-init done); a daemon restart cleans up unfinished launches. */
  launched: boolean;
  /**
   * The guest's pinned SSH host key (`ssh-ed25519 AAAA...`); null or absent for instances launched before
   * skiff pinned keys (their first contact learns it).
   */
  hostKey?: string | null;
  /**
   * How the primary NIC is attached: `nat` = skiff's managed bridge with the reserved `ipv4`; `user` = the
   * driver's user-mode NAT (no address the host can reach). Absent in records from before networks: `user`.
   */
  network?: { mode: NetworkMode; ipv4?: string };
  /** NICs beyond the primary one (`launch --network`, `--bridged`), in guest order. */
  extraNics?: ExtraNic[];
  /** Host ports forwarded to the guest (`skiff forward`), active while it runs. */
  forwards?: PortForward[];
  /** Host directories mounted in the guest (`skiff mount`), mounted again at each boot. */
  mounts?: MountEntry[];
}

export interface MountEntry {
  /** An absolute, resolved host directory (no symlink in it when it was checked). */
  source: string;
  /** The absolute guest path; unique within the instance. */
  target: string;
  type: MountType;
  uidMap: IdMap[];
  gidMap: IdMap[];
  /** The share's guest-side tag (core/mount-spec.ts mountTag of the target). */
  tag: string;
  /** What carried it at its last boot or attach (sshfs: a classic mount); absent until then. */
  transport?: 'virtiofs' | '9p' | 'sshfs';
  /**
   * Who asked for it (absent in records from before): a classic mount's host side runs as this user, and a
   * native share's directory must still belong to them when it is opened.
   */
  owner?: { uid: number; gid: number };
}

export type NetworkMode = 'nat' | 'user';

export interface ExtraNic {
  /** The host interface: a bridge, or an ethernet interface (macvtap). */
  host: string;
  /** What `host` was at launch: a bridge gets a tap on it, an ethernet interface a macvtap. */
  kind: 'bridge' | 'macvtap';
  mac: string;
  /** auto: cloud-init configures it (DHCP, matched by MAC); manual: left to the user. */
  mode: 'auto' | 'manual';
}

export interface PortForward {
  protocol: 'tcp' | 'udp';
  /** The host address the forward listens on (127.0.0.1 unless given). */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export class InstanceStore {
  private records = new Map<string, InstanceRecord>();
  private writing: Promise<void> = Promise.resolve();
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dataDir, 'instances.json');
  }

  /** Loads the records, recovering from a corrupt file. @returns what was wrong and what was used, for the log. */
  async load(): Promise<StateLoad<InstanceRecord[]>> {
    const loaded = await loadStateFile({
      path: this.path,
      schema: SCHEMA,
      decode: decodeInstanceRecords,
      now: this.now(),
    });
    this.records = new Map((loaded.value ?? []).map((r) => [r.name, r]));
    return loaded;
  }

  get(name: string): InstanceRecord | undefined {
    const record = this.records.get(name);
    return record && structuredClone(record);
  }

  all(): InstanceRecord[] {
    return [...this.records.values()]
      .map((r) => structuredClone(r))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Inserts or replaces a record and persists; resolves once it is on disk. */
  put(record: InstanceRecord): Promise<void> {
    this.records.set(record.name, structuredClone(record));
    return this.flush();
  }

  /** Applies `change` to the stored record and persists. @returns the updated record. */
  async update(name: string, change: (r: InstanceRecord) => void): Promise<InstanceRecord> {
    const record = this.records.get(name);
    if (!record) throw new Error(`no instance record "${name}"`);
    change(record);
    await this.flush();
    return structuredClone(record);
  }

  remove(name: string): Promise<void> {
    this.records.delete(name);
    return this.flush();
  }

  private flush(): Promise<void> {
    const snapshot = [...this.records.values()];
    this.writing = this.writing
      .catch(() => undefined)
      .then(() => writeStateFile(this.path, SCHEMA, snapshot));
    return this.writing;
  }
}
