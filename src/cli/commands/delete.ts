/**
 * @module `skiff delete [NAMES...|--all] [-p]`: deleted instances can be recovered until purged.
 */
import { SkiffError } from '../../core/errors.js';
import { NAME_OR_ALL_REQUIRED } from '../../core/messages.js';
import { forgetInstanceAliases } from '../aliases/alias-purge.js';
import { requireSnapshotRef, snapshotRef } from '../snapshot-ref.js';
import { targetNames } from '../targets.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'delete',
  description: 'Delete instances (recoverable until purged)',
  operands: {
    names: operand('[names...]', 'instance names, or INSTANCE.SNAPSHOT for a snapshot (removed for good)'),
  },
  options: {
    all: flag('--all', 'every instance'),
    purge: flag('-p, --purge', 'remove at once, with the disk (not recoverable)'),
  },
  async run(args, ctx) {
    if (!args.all && args.names.length === 0)
      throw new SkiffError(
        'invalid-argument',
        `${NAME_OR_ALL_REQUIRED} (delete: name an instance, or use --all)`,
      );
    // Snapshots are removed for good (Multipass's rule); they never wait in a recoverable state.
    const refs = args.names
      .filter((n) => snapshotRef(n) !== null)
      .map((n) => requireSnapshotRef(n, 'delete'));
    const instances = args.names.filter((n) => snapshotRef(n) === null);
    for (const ref of refs)
      await ctx.withDaemon((client) => client.deleteSnapshot(ref.instance, ref.snapshot));
    if (refs.length > 0 && instances.length === 0 && !args.all) return 0;
    const names = await ctx.withDaemon((client) => targetNames(client, instances, args.all, 'delete'));
    for (const name of names) {
      await ctx.withDaemon((client) => client.delete(name, args.purge ?? false));
      if (args.purge) await forgetInstanceAliases([name], ctx);
    }
    return 0;
  },
});
