/**
 * @module `skiff remotes`: each remote, its catalog state, last success, last error and next attempt. Read-only.
 */
import type { RemoteJson } from '../../api/contract.js';
import { ageText } from '../../core/age.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption } from '../verb.js';

export const verb = defineVerb({
  name: 'remotes',
  description: 'Show image remotes and the state of their catalogs (never triggers a fetch)',
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const { remotes } = await ctx.withDaemon((client) => client.remotes());
    const out = await render(format, { remotes }, renderers(Date.now()));
    ctx[out.stream].write(out.text);
    return 0;
  },
});

const renderers = (now: number): Renderers<{ remotes: RemoteJson[] }> => {
  const when = (iso: string | null, future: boolean) => {
    if (iso === null) return '-';
    const delta = Date.parse(iso) - now;
    return future ? (delta <= 0 ? 'now' : `in ${ageText(delta)}`) : `${ageText(-delta)} ago`;
  };
  const error = (r: RemoteJson) => (r.last_error ? `${r.last_error.cause}: ${r.last_error.message}` : '-');
  return {
    csv: ({ remotes }) => ({
      headers: [
        'Name',
        'URL',
        'State',
        'Last success',
        'Next attempt',
        'Error cause',
        'Error URL',
        'Error message',
      ],
      rows: remotes.map((r) => [
        r.name,
        r.url,
        r.state,
        r.last_success ?? '',
        r.next_attempt ?? '',
        r.last_error?.cause ?? '',
        r.last_error?.url ?? '',
        r.last_error?.message ?? '',
      ]),
    }),
    table: ({ remotes }) => ({
      headers: ['Name', 'State', 'Updated', 'Next attempt', 'URL', 'Last error'],
      rows: remotes.map((r) => [
        r.name,
        r.state,
        when(r.last_success, false),
        r.attempting ? 'now (in progress)' : when(r.next_attempt, true),
        r.url,
        error(r),
      ]),
    }),
  };
};
