/**
 * @module Settings persisted in the data dir. A change is validated first, written atomically, then announced.
 */
import { join } from 'node:path';
import { loadJson, writeJsonAtomic } from '../persist/atomic-json.js';
import { SETTING_KEYS, settingKey } from './keys.js';

const SCHEMA = 1;

export type SettingsListener = (key: string, value: string) => Promise<void> | void;

export class SettingsService {
  private values: Record<string, string> = {};
  private readonly listeners: SettingsListener[] = [];
  private readonly path: string;

  /** `defaults` override the built-in default of a key (e.g. skiffd --image-mirror); they are validated too. */
  constructor(
    dataDir: string,
    private readonly defaults: Record<string, string> = {},
  ) {
    this.path = join(dataDir, 'settings.json');
    for (const [key, value] of Object.entries(defaults))
      this.defaults[key] = settingKey(key).normalise(value);
  }

  async load(): Promise<void> {
    this.values = (await loadJson<Record<string, string>>(this.path, SCHEMA)) ?? {};
  }

  /** The stored value, or the default. */
  raw(key: string): string {
    const spec = settingKey(key);
    return this.values[key] ?? this.defaults[key] ?? spec.defaultValue;
  }

  /** The value as `skiff get` shows it. */
  get(key: string): string {
    const spec = settingKey(key);
    const stored = this.raw(key);
    return spec.show ? spec.show(stored) : stored;
  }

  all(): Record<string, string> {
    return Object.fromEntries(SETTING_KEYS.map((k) => [k.key, this.get(k.key)]));
  }

  /** Validates, persists, then tells listeners. Invalid input throws and changes nothing. */
  async set(key: string, value: string): Promise<string> {
    const stored = settingKey(key).normalise(value);
    const next = { ...this.values, [key]: stored };
    await writeJsonAtomic(this.path, SCHEMA, next);
    this.values = next;
    for (const listener of this.listeners) await listener(key, stored);
    return this.get(key);
  }

  onChange(listener: SettingsListener): void {
    this.listeners.push(listener);
  }
}
