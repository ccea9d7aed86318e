/**
 * @module `skiff version`: client and daemon versions.
 */
import { skiffVersion } from '../../core/install-root.js';
import { isSkiffError } from '../../core/errors.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption } from '../verb.js';

interface Versions {
  skiff: string;
  /** Empty when no daemon answered. */
  skiffd: string;
}

export const verb = defineVerb({
  name: 'version',
  description: 'Show version details',
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    let daemon = '';
    try {
      daemon = (await ctx.withDaemon((client) => client.version())).skiffd;
    } catch (error) {
      // Like Multipass: the client version alone, and nothing else, when no daemon answers (-v says why).
      // A daemon that does not trust this client yet says nothing either (as Multipass).
      if (!isSkiffError(error) || (error.code !== 'daemon-unreachable' && error.code !== 'unauthenticated'))
        throw error;
      if (ctx.verbosity > 0) ctx.stderr.write(`warning: ${error.message}\n`);
    }
    const out = await render(format, { skiff: skiffVersion(), skiffd: daemon }, renderers);
    ctx[out.stream].write(out.text);
    return 0;
  },
});

const renderers: Renderers<Versions> = {
  csv: ({ skiff, skiffd }) => ({ headers: ['skiff', 'skiffd'], rows: [[skiff, skiffd]] }),
  // Multipass's layout: one line per component, the version in a fixed column (so the client line reads the
  // same with or without a daemon).
  table: ({ skiff, skiffd }) =>
    `${'skiff'.padEnd(8)}${skiff}\n${skiffd ? `${'skiffd'.padEnd(8)}${skiffd}\n` : ''}`,
};
