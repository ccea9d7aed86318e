/**
 * @module `skiff help [COMMAND]` and `-h`, laid out as Multipass's (`src/client/cli/argparser.cpp`): the
 * commands sorted by name, one per line with Multipass's one-line description where the command is the same,
 * a command's other names listed apart (never `list|ls`), and `help help` answering like any command.
 */
import type { Command } from 'commander';
import { SkiffError } from '../core/errors.js';
import { unknownHelpCommand } from '../core/messages.js';

/** Multipass's `short_help()` of each command skiff shares with it (`src/client/cli/cmd/<verb>.cpp`). */
export const MULTIPASS_SUMMARIES: Readonly<Record<string, string>> = {
  alias: 'Create an alias',
  aliases: 'List available aliases',
  authenticate: 'Authenticate client',
  clone: 'Clone an instance',
  delete: 'Delete instances and snapshots',
  exec: 'Run a command on an instance',
  find: 'Display available images to create instances from',
  get: 'Get a configuration setting',
  help: 'Display help about a command',
  info: 'Display information about instances or snapshots',
  launch: 'Create and start a cloud instance',
  list: 'List all available instances or snapshots',
  mount: 'Mount a local directory in the instance',
  networks: 'List available network interfaces',
  prefer: 'Switch the current alias context',
  purge: 'Purge all deleted instances permanently',
  recover: 'Recover deleted instances',
  restart: 'Restart instances',
  restore: 'Restore an instance from a snapshot',
  set: 'Set a configuration setting',
  shell: 'Open a shell on an instance',
  snapshot: 'Take a snapshot of an instance',
  start: 'Start instances',
  stop: 'Stop running instances',
  suspend: 'Suspend running instances',
  transfer: 'Transfer files between the host and instances',
  umount: 'Unmount a directory from an instance',
  unalias: 'Remove aliases',
  version: 'Show version details',
  'wait-ready': 'Wait for the skiff daemon to be ready',
};

/** One line for each command Multipass does not have (their help keeps the full description). */
const SKIFF_SUMMARIES: Readonly<Record<string, string>> = {
  completion: 'Print a bash or zsh completion script',
  forward: 'Forward host ports to instances',
  images: 'List cached images and the instances using them',
  mirror: 'Publish images as a simplestreams mirror',
  remotes: 'Show image remotes and the state of their catalogs',
};

const DESCRIPTION =
  'Create, control and connect to Ubuntu instances on QEMU.\n\n' +
  'This is a command line utility for skiff, a Multipass-compatible\n' +
  'service that manages Ubuntu instances.';

/** Sets `program`'s help up as Multipass's and adds the `help` command; call before registering verbs. */
export function configureHelp(program: Command): void {
  program
    .description(DESCRIPTION)
    .helpOption('-h, --help', 'Display this help')
    .helpCommand(false)
    .configureHelp({
      sortSubcommands: true,
      commandUsage: (cmd) =>
        `${ancestry(cmd)}${cmd.parent ? cmd.name() : ''} ${cmd.parent ? cmd.usage() : '[options] <command>'}`,
      subcommandTerm: (cmd) => (cmd.parent?.parent ? groupTerm(cmd) : cmd.name()),
      subcommandDescription: (cmd) =>
        (!cmd.parent?.parent
          ? (MULTIPASS_SUMMARIES[cmd.name()] ?? SKIFF_SUMMARIES[cmd.name()])
          : undefined) ?? firstLine(cmd.summary() || cmd.description()),
      commandDescription: (cmd) => {
        const aliases = cmd.aliases();
        return aliases.length > 0
          ? `${cmd.description()}\n\nAliases: ${aliases.join(', ')}`
          : cmd.description();
      },
      formatHelp: (cmd, helper) => {
        const text = Object.getPrototypeOf(helper).formatHelp.call(helper, cmd, helper) as string;
        return cmd.parent ? text : rootHelp(cmd, text);
      },
    });
  program
    .command('help')
    .description('Displays help for the given command.')
    .argument('[command]', 'Name of command to display help for')
    .action((word: string | undefined) => {
      if (word === undefined) {
        process.stdout.write(program.helpInformation());
        return;
      }
      const command = program.commands.find((c) => c.name() === word || c.aliases().includes(word));
      if (!command) throw new SkiffError('invalid-argument', unknownHelpCommand(word));
      process.stdout.write(command.helpInformation());
    });
}

/** The root's text: Multipass's heading for the commands, then each command's other names, one per line. */
function rootHelp(program: Command, text: string): string {
  const other = program.commands
    .flatMap((c) => c.aliases().map((alias) => [alias, c.name()] as const))
    .sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(0, ...other.map(([alias]) => alias.length));
  const aliases = other.map(([alias, name]) => `  ${alias.padEnd(width)}  same as ${name}`).join('\n');
  return `${text.replace(/\nCommands:\n/, '\nAvailable commands:\n').trimEnd()}\n${other.length ? `\nOther names of commands:\n${aliases}\n` : ''}`;
}

function ancestry(cmd: Command): string {
  let names = '';
  for (let parent = cmd.parent; parent; parent = parent.parent) names = `${parent.name()} ${names}`;
  return cmd.parent ? names : `${cmd.name()}`;
}

/** A subcommand of a group (`forward add`): its name and operands, as commander shows them, minus aliases. */
function groupTerm(cmd: Command): string {
  const args = cmd.registeredArguments
    .map((arg) => {
      const name = `${arg.name()}${arg.variadic ? '...' : ''}`;
      return arg.required ? `<${name}>` : `[${name}]`;
    })
    .join(' ');
  return `${cmd.name()}${cmd.options.length ? ' [options]' : ''}${args ? ` ${args}` : ''}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
