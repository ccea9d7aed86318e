/**
 * @module What the forwards service needs from the outside: a relay that carries a forward inside the daemon
 * (instances on skiff's NAT bridge, whose guests have an address the host reaches) and a probe that says
 * whether a host port is free. Forwards into user-mode guests go through the VM driver's own HostForwarder
 * (services/instances/ports.ts). Backends implement these; the service never imports them.
 */
import type { ForwardHost, ForwardRule } from '../../core/forward-rule.js';

export type { ForwardHost, ForwardRule };

/** One forward being carried; close() stops listening and ends the connections it carries. */
export interface Relay {
  close(): Promise<void>;
}

export interface RelayFactory {
  /**
   * Listens on the rule's host side and carries each TCP connection, or each UDP client's datagrams, to
   * `target` (the guest's address and the rule's guest port).
   * @throws SkiffError conflict naming the address and port when it is taken
   */
  open(rule: ForwardRule, target: { host: string; port: number }): Promise<Relay>;
}

export interface PortProbe {
  /**
   * Whether the host side could be listened on now: binds it and lets go at once.
   * @throws SkiffError conflict naming the address and port when something holds it, invalid-argument when
   * the address is not one of this host's
   */
  check(host: ForwardHost): Promise<void>;
}
