/**
 * @module The `--format` option: table (default), json, csv, yaml.
 */
import { SkiffError } from '../../core/errors.js';
import { INVALID_FORMAT } from '../../core/messages.js';

export type Format = 'table' | 'json' | 'csv' | 'yaml';
export const FORMATS: Format[] = ['table', 'json', 'csv', 'yaml'];

/** @throws SkiffError('invalid-argument') for an unknown format. */
export function parseFormat(value: string | undefined): Format {
  const format = (value ?? 'table').toLowerCase();
  if (!(FORMATS as string[]).includes(format)) {
    throw new SkiffError(
      'invalid-argument',
      `${INVALID_FORMAT} (--format ${value}: expected one of ${FORMATS.join(', ')})`,
    );
  }
  return format as Format;
}

/** JSON as Multipass prints it: 4-space indent, trailing newline. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

/** YAML via the yaml library, loaded only when asked for (it costs start-up time). */
export async function renderYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value);
}
