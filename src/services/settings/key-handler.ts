/**
 * @module Settings whose keys are not fixed: a handler owns a family of keys (e.g. the per-instance
 * `local.NAME.cpus`) and keeps their values itself; the settings service asks it before its own keys.
 */

export interface SettingsKeyHandler {
  /** Whether `key` is one of this handler's (whether or not its subject exists). */
  owns(key: string): boolean;
  /** Every key it has now, sorted. */
  keys(): string[];
  /** The value `get` shows. @throws SkiffError naming what is wrong */
  get(key: string): string;
  /** Validates and applies a value; invalid input changes nothing. @returns the value `get` now shows */
  set(key: string, value: string): Promise<string>;
}
