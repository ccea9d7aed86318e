/**
 * @module Which instances a lifecycle command acts on: the names given, `--all`, or the primary instance.
 */
import { SkiffError } from '../core/errors.js';
import { namesWithAll } from '../core/messages.js';
import type { DaemonClient } from '../client/daemon-client.js';

export async function targetNames(
  client: DaemonClient,
  names: string[],
  all: boolean | undefined,
  verb: string,
): Promise<string[]> {
  if (all && names.length > 0)
    throw new SkiffError(
      'invalid-argument',
      `${namesWithAll(names.length)} (${verb}: give instance names or --all, not both)`,
    );
  if (all) return (await client.list()).list.map((i) => i.name);
  if (names.length > 0) return names;
  const { value } = await client.getSetting('client.primary-name');
  if (!value)
    throw new SkiffError(
      'invalid-argument',
      `${verb}: name an instance (there is no primary instance: client.primary-name is empty)`,
    );
  return [value];
}
