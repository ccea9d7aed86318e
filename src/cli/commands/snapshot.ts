/**
 * @module `skiff snapshot INSTANCE [-n NAME] [-c|-m COMMENT]`: a snapshot of a stopped instance's disk, or of a
 * running instance's disk and memory (Multipass takes only the former).
 */
import { SkiffError } from '../../core/errors.js';
import { progressReporter } from '../progress.js';
import { defineVerb, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'snapshot',
  description: 'Take a snapshot of an instance (disk only when stopped; disk and memory when running)',
  operands: { instance: operand('<instance>', 'the instance to take a snapshot of') },
  options: {
    name: value(
      '-n, --name <name>',
      'a name for the snapshot, by the rules of instance names (default: snapshotN, N one more than the snapshots ever taken of the instance)',
    ),
    comment: value('-c, --comment <comment>', 'a free comment to keep with the snapshot'),
    m: value('-m <comment>', 'the same as --comment'),
  },
  async run(args, ctx) {
    if (args.comment !== undefined && args.m !== undefined)
      throw new SkiffError('invalid-argument', 'snapshot: give the comment once (-c or -m)');
    const comment = args.comment ?? args.m;
    const progress = progressReporter(ctx.stderr);
    let taken;
    try {
      progress.update('Taking snapshot');
      taken = await ctx.withDaemon((client) =>
        client.takeSnapshot(
          args.instance,
          {
            ...(args.name !== undefined && { name: args.name }),
            ...(comment !== undefined && { comment }),
          },
          (message) => progress.update(message),
        ),
      );
    } finally {
      progress.done();
    }
    const kind = taken.memory ? 'disk and memory' : 'disk only';
    ctx.stdout.write(`Snapshot taken: ${args.instance}.${taken.snapshot.name} (${kind})\n`);
    return 0;
  },
});
