/**
 * @module `skiff completion bash|zsh`: a shell completion script, as Lima's `limactl completion`. Commands and
 * flags are written into the script from the verbs' own declarations; instance names (and snapshot names,
 * `INSTANCE.SNAPSHOT`, where `list --snapshots` exists) are asked of skiff when TAB is pressed, and nothing is
 * offered when no daemon answers. Load it with `source <(skiff completion bash)`.
 */
import { Command } from 'commander';
import { SkiffError } from '../../core/errors.js';
import { completionScript, type CompletionSpec } from '../completion-script.js';
import { VERBS } from '../verbs.js';
import { defineVerb, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'completion',
  description: 'Print a shell completion script: source <(skiff completion bash), or zsh',
  operands: { shell: operand('<shell>', 'bash or zsh') },
  async run(args, ctx) {
    if (args.shell !== 'bash' && args.shell !== 'zsh')
      throw new SkiffError(
        'invalid-argument',
        `completion: "${args.shell}" is not a shell skiff completes (bash or zsh)`,
        {
          details: { field: 'shell' },
        },
      );
    ctx.stdout.write(completionScript(args.shell, await completionSpec()));
    return 0;
  },
});

/** Every command and other name, with its flags and subcommands, read from the verbs' declarations. */
async function completionSpec(): Promise<CompletionSpec> {
  const program = new Command('skiff');
  for (const entry of VERBS) (await entry.load()).register(program, async () => undefined);
  const commands: CompletionSpec['commands'] = [{ name: 'help', flags: [] }];
  for (const command of program.commands) {
    const flags = command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)));
    const subcommands = command.commands.map((c) => c.name());
    for (const name of [command.name(), ...command.aliases()])
      commands.push({ name, flags: [...flags, '-h', '--help'], subcommands });
  }
  return { commands };
}
