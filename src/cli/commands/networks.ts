/**
 * @module `skiff networks`: the host interfaces `launch --network` accepts (bridges and ethernet devices), in
 * Multipass's columns and shapes.
 */
import type { NetworksResponse } from '../../api/contract.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption } from '../verb.js';

export const verb = defineVerb({
  name: 'networks',
  description: 'List host network devices (bridges, ethernet devices) usable with `launch --network`',
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const { list } = await ctx.withDaemon((client) => client.networks());
    const out = await render(format, { list }, renderers);
    ctx[out.stream].write(out.text);
    return 0;
  },
});

export const renderers: Renderers<NetworksResponse> = {
  // Multipass's YAML is keyed by name, each with a one-element list.
  yaml: ({ list }) => Object.fromEntries(list.map(({ name, ...rest }) => [name, [rest]])),
  csv: ({ list }) => ({
    headers: ['Name', 'Type', 'Description'],
    rows: list.map((n) => [n.name, n.type, n.description]),
  }),
  table: ({ list }) =>
    list.length === 0
      ? { note: 'No network interfaces found.' }
      : { headers: ['Name', 'Type', 'Description'], rows: list.map((n) => [n.name, n.type, n.description]) },
};
