/**
 * @module `skiff restore INSTANCE.SNAPSHOT [-d]`: back to a snapshot (its disk, its memory when it has one, its
 * sizes and mounts). Without --destructive, asks on a terminal whether to snapshot the current state first.
 */
import { createInterface } from 'node:readline/promises';
import { SkiffError } from '../../core/errors.js';
import type { CliContext } from '../context.js';
import { progressReporter } from '../progress.js';
import { requireSnapshotRef } from '../snapshot-ref.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'restore',
  description:
    'Restore an instance from a snapshot (a disk-only snapshot needs a stopped instance; one with memory comes back running)',
  operands: {
    target: operand('<instance.snapshot>', 'the instance and the snapshot to restore, INSTANCE.SNAPSHOT'),
  },
  options: { destructive: flag('-d, --destructive', 'discard the current state of the instance') },
  async run(args, ctx) {
    const { instance, snapshot } = requireSnapshotRef(args.target);
    const destructive = args.destructive ?? !(await askSnapshotFirst(instance, ctx));
    const progress = progressReporter(ctx.stderr);
    let restored;
    try {
      progress.update(destructive ? 'Restoring snapshot' : `Taking snapshot before restoring ${instance}`);
      restored = await ctx.withDaemon((client) =>
        client.restoreSnapshot(instance, snapshot, { destructive }, (message) => progress.update(message)),
      );
    } finally {
      progress.done();
    }
    if (restored.before !== null) ctx.stdout.write(`Snapshot taken: ${instance}.${restored.before.name}\n`);
    const running = restored.state === 'Running' ? ' (running again from its saved memory)' : '';
    ctx.stdout.write(`Snapshot restored: ${instance}.${snapshot}${running}\n`);
    return 0;
  },
});

/** Multipass's question; without a terminal to ask on, the command fails naming the flag. */
async function askSnapshotFirst(instance: string, ctx: CliContext): Promise<boolean> {
  if (!process.stdin.isTTY || !ctx.stdout.isTTY)
    throw new SkiffError(
      'invalid-argument',
      "Unable to query client for confirmation. Use '--destructive' to automatically discard current machine state.",
      { details: { field: 'destructive' } },
    );
  const rl = createInterface({ input: process.stdin, output: ctx.stdout });
  try {
    for (;;) {
      const answer = (
        await rl.question(
          `Do you want to take a snapshot of ${instance} before discarding its current state? (Yes/no) `,
        )
      )
        .trim()
        .toLowerCase();
      if (answer === '' || answer === 'y' || answer === 'yes') return true;
      if (answer === 'n' || answer === 'no') return false;
      ctx.stdout.write('Please answer Yes/no\n');
    }
  } finally {
    rl.close();
  }
}
