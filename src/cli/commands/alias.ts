/**
 * @module `skiff alias INSTANCE:COMMAND [NAME] [-n]`: a host-side alias running COMMAND in INSTANCE, with
 * Multipass's checks and words (`src/client/cli/cmd/alias.cpp`), stored and scripted by aliases/.
 */
import { basename, delimiter } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { aliasHome } from '../aliases/alias-context.js';
import { addAlias, isEmpty } from '../aliases/alias-dict.js';
import { loadAliases, pathMessage, saveAliases, writeAliasScripts } from '../aliases/alias-files.js';
import { checkAliasName, isCommandName } from '../aliases/alias-names.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'alias',
  description: 'Create an alias to be executed on a given instance.',
  operands: {
    definition: operand('<definition>', 'Alias definition in the form <instance>:<command>'),
    name: operand('[name]', 'Name given to the alias being defined, defaults to <command>'),
  },
  options: {
    mapWorkingDirectory: flag(
      '-n, --no-map-working-directory',
      'Do not automatically map the host execution path to a mounted path',
    ),
  },
  async run(args, ctx) {
    const colon = args.definition.indexOf(':');
    if (colon === -1 || colon === args.definition.length - 1)
      throw new SkiffError('invalid-argument', 'No command given');
    if (colon === 0) throw new SkiffError('invalid-argument', 'No instance name given');
    const instance = args.definition.slice(0, colon);
    const command = args.definition.slice(colon + 1);
    const name = args.name ?? basename(command.trim().split(/\s+/)[0] ?? '');
    checkAliasName(name);
    const { list } = await ctx.withDaemon((client) => client.list());
    if (!list.some((i) => i.name === instance))
      throw new SkiffError('invalid-argument', `Instance '${instance}' does not exist`, {
        details: { field: 'instance' },
      });
    const home = aliasHome();
    const before = await loadAliases(home.paths);
    const dict = addAlias(before, name, {
      instance,
      command,
      'working-directory': args.mapWorkingDirectory === false ? 'default' : 'map',
    });
    if (isCommandName(name))
      throw new SkiffError('invalid-argument', `Alias name '${name}' clashes with a command name`);
    await writeAliasScripts(home.paths, dict, dict['active-context'], name, home.skiffPath);
    await saveAliases(home.paths, dict);
    const onPath = (process.env.PATH ?? '').split(delimiter).includes(home.paths.scriptsDir);
    if (isEmpty(before) && !onPath) ctx.stdout.write(pathMessage(home.paths.scriptsDir));
    return 0;
  },
});
