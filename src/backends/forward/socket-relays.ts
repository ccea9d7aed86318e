/**
 * @module The RelayFactory the daemon uses: TCP and UDP relays in the daemon process (tcp-relay.ts,
 * udp-relay.ts).
 */
import type { RelayFactory } from '../../services/forwards/ports.js';
import { TcpRelay } from './tcp-relay.js';
import { UdpRelay, type UdpRelayOptions } from './udp-relay.js';

export function socketRelays(options: { udp?: UdpRelayOptions } = {}): RelayFactory {
  return {
    open: (rule, target) =>
      rule.protocol === 'udp' ? UdpRelay.open(rule, target, options.udp) : TcpRelay.open(rule, target),
  };
}
