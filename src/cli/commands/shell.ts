/**
 * @module `skiff shell [NAME]`: an interactive shell. The primary instance is started, or launched, as needed.
 */
import { mountPrimaryHome } from '../primary-home.js';
import { progressReporter } from '../progress.js';
import { runInInstance } from '../exec-session.js';
import { targetNames } from '../targets.js';
import { parseTimeoutS } from '../timeout.js';
import { defineVerb, operand, value } from '../verb.js';

export const verb = defineVerb({
  name: 'shell',
  aliases: ['sh', 'connect'],
  description: 'Open a shell in an instance (the primary one is started or launched as needed)',
  operands: { name: operand('[name]', 'the instance (default: the primary instance)') },
  options: { timeout: value('--timeout <seconds>', 'give up starting after this long') },
  async run(args, ctx) {
    const [name] = await ctx.withDaemon((client) =>
      targetNames(client, args.name ? [args.name] : [], false, 'shell'),
    );
    const primary = (await ctx.withDaemon((client) => client.getSetting('client.primary-name'))).value;
    const timeout = parseTimeoutS(args.timeout);
    const progress = progressReporter(ctx.stderr);
    try {
      const { list } = await ctx.withDaemon((client) => client.list());
      const instance = list.find((i) => i.name === name);
      if (!instance && name === primary) {
        await ctx.withDaemon((client) =>
          client.launch({ image: '', name, timeout }, (m, d) => progress.update(m, d)),
        );
        progress.done();
        ctx.stdout.write(`Launched: ${name}\n`);
        // A home that cannot be mounted is said (by mountPrimaryHome), and the shell still opens.
        await mountPrimaryHome(ctx, name);
      } else if (instance && instance.state !== 'Running') {
        await ctx.withDaemon((client) =>
          client.action(name!, 'start', timeout === undefined ? {} : { timeout }, (m) => progress.update(m)),
        );
      }
    } finally {
      progress.done();
    }
    return runInInstance(ctx, name!, { tty: true });
  },
});
