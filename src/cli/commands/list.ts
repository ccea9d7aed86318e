/**
 * @module `skiff list` (`ls`): instances in Multipass's shapes.
 */
import type { ListResponse } from '../../api/contract.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { snapshotListDocument, snapshotListRenderers } from '../format/snapshots.js';
import { defineVerb, flag, formatOption } from '../verb.js';

export const verb = defineVerb({
  name: 'list',
  aliases: ['ls'],
  description: 'List instances',
  options: { snapshots: flag('--snapshots', 'list the snapshots of every instance'), format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    if (args.snapshots) {
      const { snapshots } = await ctx.withDaemon((client) => client.snapshots());
      const out = await render(format, snapshotListDocument(snapshots), snapshotListRenderers);
      ctx[out.stream].write(out.text);
      return 0;
    }
    const { list } = await ctx.withDaemon((client) => client.list());
    const out = await render(format, { list }, renderers);
    ctx[out.stream].write(out.text);
    return 0;
  },
});

const renderers: Renderers<ListResponse> = {
  // Multipass's YAML is keyed by name, each with a one-element list.
  yaml: ({ list }) => Object.fromEntries(list.map(({ name, ...rest }) => [name, [rest]])),
  csv: ({ list }) => ({
    headers: ['Name', 'State', 'IPv4', 'IPv6', 'Release', 'AllIPv4'],
    rows: list.map((i) => [i.name, i.state, i.ipv4[0] ?? '', '', i.release, i.ipv4.join(';')]),
  }),
  table: ({ list }) =>
    list.length === 0
      ? { note: 'No instances found.' }
      : {
          headers: ['Name', 'State', 'IPv4', 'Image'],
          rows: list.map((i) => [i.name, i.state, i.ipv4[0] ?? '--', i.release]),
        },
};
