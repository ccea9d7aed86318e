/**
 * @module `skiff aliases [--format]`: every alias of every context in Multipass's shapes (the active context
 * starred in the table and CSV; JSON is the aliases file itself).
 */
import { aliasHome } from '../aliases/alias-context.js';
import { isEmpty, sortedDict, type AliasDict } from '../aliases/alias-dict.js';
import { loadAliases } from '../aliases/alias-files.js';
import { parseFormat } from '../format/formats.js';
import { render, type Renderers } from '../format/render.js';
import { defineVerb, formatOption } from '../verb.js';

export const verb = defineVerb({
  name: 'aliases',
  description: 'List available aliases',
  options: { format: formatOption },
  async run(args, ctx) {
    const format = parseFormat(args.format);
    const dict = sortedDict(await loadAliases(aliasHome().paths));
    const out = await render(format, dict, renderers);
    ctx[out.stream].write(out.text);
    return 0;
  },
});

/** Each alias as a row: name, definition, and its context (starred when active). */
function rows(
  dict: AliasDict,
): Array<{ name: string; context: string; instance: string; command: string; dir: string }> {
  return Object.entries(dict.contexts).flatMap(([context, aliases]) =>
    Object.entries(aliases).map(([name, def]) => ({
      name,
      context: context === dict['active-context'] ? `${context}*` : context,
      instance: def.instance,
      command: def.command,
      dir: def['working-directory'],
    })),
  );
}

const renderers: Renderers<AliasDict> = {
  // Multipass's YAML: `active_context`, and each context's aliases as a list.
  yaml: (dict) => ({
    active_context: dict['active-context'],
    aliases: Object.fromEntries(
      Object.entries(dict.contexts).map(([context, aliases]) => [
        context,
        Object.entries(aliases).map(([alias, def]) => ({
          alias,
          command: def.command,
          instance: def.instance,
          'working-directory': def['working-directory'],
        })),
      ]),
    ),
  }),
  csv: (dict) => ({
    headers: ['Alias', 'Instance', 'Command', 'Working directory', 'Context'],
    rows: rows(dict).map((r) => [r.name, r.instance, r.command, r.dir, r.context]),
  }),
  // Multipass prints this note on stdout.
  table: (dict) =>
    isEmpty(dict)
      ? 'No aliases defined.\n'
      : {
          headers: ['Alias', 'Instance', 'Command', 'Context', 'Working directory'],
          rows: rows(dict).map((r) => [r.name, r.instance, r.command, r.context, r.dir]),
        },
};
