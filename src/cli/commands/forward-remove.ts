/**
 * @module `skiff forward remove NAME [ADDR:]HOSTPORT[/tcp|/udp]`.
 */
import { parseForwardHost } from '../../core/forward-rule.js';
import { defineVerb, operand } from '../verb.js';

export const removeVerb = defineVerb({
  name: 'remove',
  description: 'Stop forwarding a host port to the instance, and forget the rule',
  operands: {
    name: operand('<name>', 'the instance'),
    host: operand(
      '<host>',
      '[ADDRESS:]HOSTPORT[/tcp|/udp], as given to add (127.0.0.1 and tcp unless given)',
    ),
  },
  async run(args, ctx) {
    const host = parseForwardHost(args.host);
    await ctx.withDaemon((client) =>
      client.removeForward(args.name, {
        protocol: host.protocol,
        host_address: host.hostAddress,
        host_port: host.hostPort,
      }),
    );
    return 0;
  },
});
