/**
 * @module `skiff forward list [NAME] [--format F]`: each rule, and whether it is carried now.
 */
import type { ForwardJson, ForwardsResponse } from '../../api/contract.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption, operand } from '../verb.js';

export const listVerb = defineVerb({
  name: 'list',
  description: 'List port forwards (of one instance, or of all)',
  operands: { name: operand('[name]', 'only this instance') },
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const document = await ctx.withDaemon((client) => client.forwards(args.name));
    const out = await render(format, document, renderers);
    ctx[out.stream].write(out.text);
    return 0;
  },
});

const HEADERS = ['Instance', 'Protocol', 'Host', 'Guest', 'Active'];
const row = (f: ForwardJson) => [
  f.instance,
  f.protocol,
  `${f.host_address}:${f.host_port}`,
  String(f.guest_port),
  f.active ? 'yes' : 'no',
];

export const renderers: Renderers<ForwardsResponse> = {
  // Keyed by instance, as `list`'s YAML is.
  yaml: ({ forwards }) => {
    const byInstance: Record<string, Array<Omit<ForwardJson, 'instance'>>> = {};
    for (const { instance, ...rest } of forwards) (byInstance[instance] ??= []).push(rest);
    return byInstance;
  },
  csv: ({ forwards }) => ({ headers: HEADERS, rows: forwards.map(row) }),
  table: ({ forwards }) =>
    forwards.length === 0 ? { note: 'No forwards found.' } : { headers: HEADERS, rows: forwards.map(row) },
};
