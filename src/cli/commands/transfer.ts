/**
 * @module `skiff transfer [-r] [-p] SOURCE... DESTINATION` (`copy-files`): copies files and directories
 * between the host and instances over SFTP, as Multipass does; `-` is stdin or stdout.
 */
import { parseTransferArgs } from '../transfer/transfer-args.js';
import { runTransfer } from '../transfer/transfer-run.js';
import { sftpRelayCommand } from '../transfer/sftp-relay-command.js';
import { defineVerb, flag, operand } from '../verb.js';

export const verb = defineVerb({
  name: 'transfer',
  aliases: ['copy-files'],
  description:
    'Copy files and directories between the host and instances: skiff transfer [-r] [-p] SOURCE... DESTINATION ' +
    '(NAME:PATH for a path in an instance, - for stdin or stdout)',
  operands: {
    paths: operand(
      '<paths...>',
      "sources then the destination; NAME:PATH inside an instance, '-' for stdin/stdout",
    ),
  },
  options: {
    recursive: flag('-r, --recursive', 'copy directories and everything in them'),
    parents: flag('-p, --parents', 'make parent directories as needed'),
  },
  async run(args, ctx) {
    // Every command-line error before the daemon is asked anything.
    const plan = parseTransferArgs(args.paths);
    await runTransfer(
      plan,
      { recursive: args.recursive === true, parents: args.parents === true },
      {
        exec: (name, query) => ctx.withDaemon((client) => client.exec(name, query)),
        sftpRelay: sftpRelayCommand,
        stderr: ctx.stderr,
      },
    );
    return 0;
  },
});
