/**
 * @module Port forwarding into a user-mode guest through QEMU's own slirp (`hostfwd_add`/`hostfwd_remove` on
 * netdev `n0`, HMP through QMP). QEMU binds the host socket itself, so a taken port fails in QEMU, and the
 * rules live exactly as long as the QEMU process. HMP answers in text: the parsing is pure and tested here.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import type { HostForwarder, HostForwardRule } from '../../services/instances/ports.js';
import { VM_FILES } from './machine.js';
import { livePidFor } from './process.js';
import { withQmp } from './qmp-client.js';

/** The user-mode netdev's id in args.ts. */
const NETDEV = 'n0';
const QMP_TIMEOUT_MS = 5_000;

type HostSide = Omit<HostForwardRule, 'guestPort'>;

/** `hostfwd_add n0 tcp:127.0.0.1:8080-:80` (the guest address left to slirp: its one guest). */
export function hostfwdAddCommand(rule: HostForwardRule): string {
  return `hostfwd_add ${NETDEV} ${rule.protocol}:${rule.hostAddress}:${rule.hostPort}-:${rule.guestPort}`;
}

/** `hostfwd_remove n0 tcp:127.0.0.1:8080`. */
export function hostfwdRemoveCommand(host: HostSide): string {
  return `hostfwd_remove ${NETDEV} ${host.protocol}:${host.hostAddress}:${host.hostPort}`;
}

/**
 * What `hostfwd_add` printed: nothing on success; otherwise QEMU's sentence (`Could not set up host forwarding
 * rule '...'` when the port is taken or the address is not the host's). @throws SkiffError conflict
 */
export function checkHostfwdAdd(output: string, rule: HostForwardRule): void {
  const text = output.trim();
  if (text === '') return;
  const where = `${rule.hostAddress}:${rule.hostPort}/${rule.protocol}`;
  throw new SkiffError(
    'conflict',
    `cannot listen on ${where}: the port is taken or the address is not one of this host's (QEMU: ${text})`,
    { details: { hostAddress: rule.hostAddress, hostPort: rule.hostPort, protocol: rule.protocol } },
  );
}

/** What `hostfwd_remove` printed: `... removed` or `... not found` are both fine. @throws SkiffError internal */
export function checkHostfwdRemove(output: string, host: HostSide): void {
  const text = output.trim();
  if (/ (removed|not found)$/.test(text)) return;
  throw new SkiffError(
    'internal',
    `QEMU could not remove the forward of ${host.hostAddress}:${host.hostPort}/${host.protocol}: ${text}`,
  );
}

/** The HostForwarder of the VM in `dir` (VM_FILES). */
export function qemuHostForwarder(dir: string): HostForwarder {
  const qmpPath = join(dir, VM_FILES.qmp);
  const running = async () => (await livePidFor(join(dir, VM_FILES.pid))) !== null;
  const human = (command: string) =>
    withQmp(qmpPath, (c) => c.execute<string>('human-monitor-command', { 'command-line': command }), {
      timeoutMs: QMP_TIMEOUT_MS,
    });
  return {
    async add(rule) {
      if (!(await running()))
        throw new SkiffError('conflict', `cannot forward ports into a VM that is not running (${dir})`);
      // Replaces a rule of the same host side: a restarted daemon adds again what QEMU still has.
      checkHostfwdRemove(await human(hostfwdRemoveCommand(rule)), rule);
      checkHostfwdAdd(await human(hostfwdAddCommand(rule)), rule);
    },
    async remove(host) {
      if (!(await running())) return;
      try {
        checkHostfwdRemove(await human(hostfwdRemoveCommand(host)), host);
      } catch (error) {
        if (await running()) throw error; // gone meanwhile: its forwards went with it
      }
    },
  };
}
