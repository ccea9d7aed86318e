/**
 * @module Settings persisted in the data dir. A change is validated first, written atomically (the previous
 * version kept as `.bak`), then announced. Loading never fails on bad content: a value that does not pass its
 * key's check is dropped (its default applies), and a corrupt file falls back to the backup.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { loadStateFile, writeStateFile, type Decoded, type StateLoad } from '../persist/state-file.js';
import type { SettingsKeyHandler } from './key-handler.js';
import { SETTING_KEYS, settingKey } from './keys.js';

const SCHEMA = 1;

export type SettingsListener = (key: string, value: string) => Promise<void> | void;

export class SettingsService {
  private values: Record<string, string> = {};
  private readonly listeners: SettingsListener[] = [];
  private readonly handlers: SettingsKeyHandler[] = [];
  private readonly path: string;

  /** `defaults` override the built-in default of a key (e.g. skiffd --image-mirror); they are validated too. */
  constructor(
    dataDir: string,
    private readonly defaults: Record<string, string> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dataDir, 'settings.json');
    for (const [key, value] of Object.entries(defaults))
      this.defaults[key] = settingKey(key).normalise(value);
  }

  /** Loads stored values, recovering from a corrupt file. @returns what was wrong and what was used. */
  async load(): Promise<StateLoad<Record<string, string>>> {
    const loaded = await loadStateFile({
      path: this.path,
      schema: SCHEMA,
      decode: decodeSettings,
      now: this.now(),
    });
    this.values = loaded.value ?? {};
    return loaded;
  }

  /** The stored value, or the default. */
  raw(key: string): string {
    const spec = settingKey(key);
    return this.values[key] ?? this.defaults[key] ?? spec.defaultValue;
  }

  /** Adds a family of keys whose values another service keeps (see key-handler.ts). */
  addHandler(handler: SettingsKeyHandler): void {
    this.handlers.push(handler);
  }

  private handlerOf(key: string): SettingsKeyHandler | undefined {
    return this.handlers.find((h) => h.owns(key));
  }

  /** The value as `skiff get` shows it. */
  get(key: string): string {
    const handler = this.handlerOf(key);
    if (handler) return handler.get(key);
    const spec = settingKey(key);
    const stored = this.raw(key);
    return spec.show ? spec.show(stored) : stored;
  }

  /** Every key with its value (the handlers' keys too), sorted by key. */
  all(): Record<string, string> {
    const keys = [...SETTING_KEYS.map((k) => k.key), ...this.handlers.flatMap((h) => h.keys())].sort();
    return Object.fromEntries(keys.map((key) => [key, this.get(key)]));
  }

  /** Validates, persists, then tells listeners. Invalid input throws and changes nothing. */
  async set(key: string, value: string): Promise<string> {
    const handler = this.handlerOf(key);
    if (handler) return handler.set(key, value);
    const stored = settingKey(key).normalise(value);
    const next = { ...this.values, [key]: stored };
    await writeStateFile(this.path, SCHEMA, next);
    this.values = next;
    for (const listener of this.listeners) await listener(key, stored);
    return this.get(key);
  }

  onChange(listener: SettingsListener): void {
    this.listeners.push(listener);
  }
}

/** Keeps each known key whose stored value passes its check. @throws SkiffError when `data` is no object. */
export function decodeSettings(data: unknown): Decoded<Record<string, string>> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SkiffError('internal', `settings: expected an object of key/value pairs`);
  }
  const value: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [key, stored] of Object.entries(data)) {
    const spec = SETTING_KEYS.find((k) => k.key === key);
    if (!spec) dropped.push(`dropped setting "${key}": unknown key`);
    else if (typeof stored !== 'string') dropped.push(`dropped setting "${key}": not a string`);
    else if (!spec.isStored(stored)) dropped.push(`dropped setting "${key}": invalid stored value`);
    else value[key] = stored;
  }
  return { value, dropped };
}
