/**
 * @module Classic mounts (Multipass's default kind): sshfs in the guest, fed over the instance's SSH session by
 * an SFTP server on the host that runs as the mount's owner (ports.ts SftpFeed). It needs no driver support, so
 * it works on any instance that has sshfs; the owner's rights bound what the guest reaches, whatever it is
 * root of. Files the guest makes belong to the owner on the host; the id maps say how host ids look inside.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../../core/errors.js';
import type { GuestShell, SshTarget } from '../instances/ports.js';
import type { MountEntry } from '../instances/store.js';
import { healthyMountTest, mountedTest, SSHFS_PROBE, sshfsCommand } from './guest-commands.js';
import type { SftpFeed } from './ports.js';

export interface ClassicMountsDeps {
  shell: GuestShell;
  sshTarget: (name: string) => Promise<SshTarget>;
  feed: SftpFeed;
  /** How long sshfs may take to appear in the guest's mount table. Default 30 s. */
  mountTimeoutMs?: number;
}

const SSH_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

export class ClassicMounts {
  constructor(private readonly deps: ClassicMountsDeps) {}

  /** @throws SkiffError missing-dependency naming what to install when the guest has no sshfs */
  async requireSshfs(name: string): Promise<void> {
    const probe = await this.run(name, SSHFS_PROBE);
    if (probe.code !== 0)
      throw new SkiffError(
        'missing-dependency',
        `classic mounts need sshfs in the guest, and '${name}' has none: ` +
          `install it there ("skiff exec ${name} -- sudo apt-get install -y sshfs"), or use --type native`,
        { details: { instance: name, missing: 'sshfs' } },
      );
  }

  /** Whether the mount works in the guest now (a feed that outlived a daemon restart keeps it working). */
  async healthy(name: string, entry: MountEntry): Promise<boolean> {
    return (await this.run(name, healthyMountTest(entry.target))).code === 0;
  }

  /**
   * Mounts `entry` in the guest (a stale mount at its target is replaced) and resolves once it is there.
   * @throws SkiffError missing-dependency (no sshfs), internal with what ssh and sshfs said, timeout
   */
  async mount(name: string, entry: MountEntry): Promise<void> {
    if (entry.owner === undefined)
      throw new SkiffError('internal', `classic mount of "${entry.source}" has no owner to run as`);
    await this.requireSshfs(name);
    const handle = await this.deps.feed.start({
      ssh: await this.deps.sshTarget(name),
      command: sshfsCommand(entry),
      source: entry.source,
      owner: entry.owner,
      label: `${name}-${entry.tag}`,
    });
    let ended: string | null = null;
    void handle.exited.then((how) => (ended = how));
    const deadline = Date.now() + (this.deps.mountTimeoutMs ?? 30_000);
    for (;;) {
      if ((await this.run(name, mountedTest(entry.target))).code === 0) return;
      // The feed's end is read after a last look at the mount table: sshfs may have finished in between.
      if (ended !== null)
        throw new SkiffError('internal', `classic mount of "${entry.source}" in '${name}' failed: ${ended}`, {
          details: { instance: name },
        });
      if (Date.now() > deadline) {
        handle.stop();
        throw new SkiffError(
          'timeout',
          `classic mount of "${entry.source}" did not appear in '${name}' in time`,
          {
            details: { instance: name },
          },
        );
      }
      await sleep(POLL_MS);
    }
  }

  private async run(name: string, command: string) {
    return this.deps.shell.run(await this.deps.sshTarget(name), command, { timeoutMs: SSH_TIMEOUT_MS });
  }
}
