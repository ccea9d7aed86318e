/**
 * @module `skiff forward add NAME [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]`.
 */
import { forwardHostLabel, parseForwardSpec } from '../../core/forward-rule.js';
import { defineVerb, operand } from '../verb.js';

export const addVerb = defineVerb({
  name: 'add',
  description:
    'Forward a host port to the instance: 127.0.0.1 and tcp unless given; ports below 1024 for root only',
  operands: {
    name: operand('<name>', 'the instance'),
    rule: operand('<rule>', '[ADDRESS:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. 8080:80 or 0.0.0.0:5353:53/udp'),
  },
  async run(args, ctx) {
    const rule = parseForwardSpec(args.rule);
    const added = await ctx.withDaemon((client) =>
      client.addForward(args.name, {
        protocol: rule.protocol,
        host_address: rule.hostAddress,
        host_port: rule.hostPort,
        guest_port: rule.guestPort,
      }),
    );
    const when = added.active ? '' : ` (from the next start of ${added.instance})`;
    ctx.stdout.write(
      `Forwarding ${forwardHostLabel(rule)} to ${added.instance} port ${added.guest_port}${when}\n`,
    );
    return 0;
  },
});
