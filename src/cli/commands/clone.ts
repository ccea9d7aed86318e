/**
 * @module `skiff clone SOURCE [-n/--name NAME]`: an independent copy of a stopped instance (Multipass's verb).
 */
import { progressReporter } from '../progress.js';
import { defineVerb, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'clone',
  description: 'Create an independent copy of an existing (stopped) instance',
  operands: { source: operand('<source_name>', 'the name of the source instance to be cloned') },
  options: {
    name: value(
      '-n, --name <destination-name>',
      'a name for the clone (default: "<source_name>-cloneN", the first N not taken)',
    ),
  },
  async run(args, ctx) {
    const progress = progressReporter(ctx.stderr);
    let clone: string;
    try {
      ({ name: clone } = await ctx.withDaemon((client) =>
        client.clone(args.source, args.name === undefined ? {} : { name: args.name }, (message) =>
          progress.update(message),
        ),
      ));
    } finally {
      progress.done();
    }
    ctx.stdout.write(`Cloned from ${args.source} to ${clone}.\n`);
    return 0;
  },
});
