/**
 * @module The settings keys of snapshots, as Multipass has them: `local.INSTANCE.SNAPSHOT.name` (renames it)
 * and `local.INSTANCE.SNAPSHOT.comment`. One key per property of each snapshot there is; `get --keys` lists
 * them. Kept apart from the fixed keys of settings/keys.ts: these come and go with the snapshots.
 */
import type { SettingsKeyHandler } from '../settings/key-handler.js';
import type { SnapshotsService } from './snapshots-service.js';

const PROPERTIES = ['name', 'comment'] as const;
type Property = (typeof PROPERTIES)[number];

export interface SnapshotKey {
  instance: string;
  snapshot: string;
  property: Property;
}

/** The parts of a snapshot key, or null for any other key. Pure. */
export function parseSnapshotKey(key: string): SnapshotKey | null {
  const parts = key.split('.');
  if (parts.length !== 4 || parts[0] !== 'local') return null;
  const [, instance, snapshot, property] = parts as [string, string, string, string];
  if (!instance || !snapshot || !(PROPERTIES as readonly string[]).includes(property)) return null;
  return { instance, snapshot, property: property as Property };
}

export class SnapshotSettings implements SettingsKeyHandler {
  constructor(private readonly snapshots: SnapshotsService) {}

  /** Whether `key` is a snapshot key (it may still name a snapshot that is not there). */
  owns(key: string): boolean {
    return parseSnapshotKey(key) !== null;
  }

  /** @throws SkiffError not-found for an unknown instance or snapshot */
  get(key: string): string {
    const { instance, snapshot, property } = this.parse(key);
    const view = this.snapshots.info(instance, snapshot);
    return property === 'name' ? view.name : view.comment;
  }

  /** Renames or re-comments. @returns the new value @throws SkiffError (nothing changed) */
  async set(key: string, value: string): Promise<string> {
    const { instance, snapshot, property } = this.parse(key);
    const view =
      property === 'name'
        ? await this.snapshots.rename(instance, snapshot, value)
        : await this.snapshots.setComment(instance, snapshot, value);
    return property === 'name' ? view.name : view.comment;
  }

  /** Every snapshot key there is now, sorted. */
  keys(): string[] {
    return this.snapshots
      .list()
      .flatMap((s) => [`local.${s.instance}.${s.name}.comment`, `local.${s.instance}.${s.name}.name`])
      .sort();
  }

  private parse(key: string): SnapshotKey {
    const parsed = parseSnapshotKey(key);
    if (parsed === null) throw new Error(`not a snapshot key: ${key}`);
    return parsed;
  }
}
