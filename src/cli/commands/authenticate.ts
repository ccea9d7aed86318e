/**
 * @module `skiff authenticate [PASSPHRASE]` (alias `auth`): registers this client with skiffd, as Multipass
 * does: this user on the local socket, this user's certificate with a remote daemon (SKIFF_SERVER_ADDRESS).
 */
import { defineVerb, operand } from '../verb.js';
import { readPassphrase } from '../passphrase-prompt.js';

export const verb = defineVerb({
  name: 'authenticate',
  aliases: ['auth'],
  description:
    'Authenticate with the skiff service.\nA system administrator should provide you with a passphrase\nto allow use of the skiff service.',
  operands: {
    passphrase: operand(
      '[passphrase]',
      'Passphrase to register with the skiff service. If omitted, a prompt will be displayed for entering the passphrase.',
    ),
  },
  async run(args, ctx) {
    const passphrase = args.passphrase ?? (await readPassphrase('Please enter passphrase: '));
    await ctx.withDaemon((client) => client.authenticate(passphrase));
    return 0;
  },
});
