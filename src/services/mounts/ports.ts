/**
 * @module What the mounts service needs from the outside: a look at host paths with the rights of the user who
 * asked. The VM side is the driver's Mounter and the GuestShell (services/instances/ports.ts). Backends
 * implement these; the service never imports them.
 */
import type { SshTarget } from '../../core/ssh-args.js';

/** Who asked, from the API socket's peer credentials; null when they cannot be read. */
export interface Caller {
  uid: number;
  gid: number;
}

export interface SourceAccess {
  /** The path with every symlink resolved (realpath). @throws SkiffError not-found when it does not exist */
  resolve(path: string): Promise<string>;
  /** What the path is (not following a last symlink). @throws SkiffError not-found when it does not exist */
  inspect(path: string): Promise<{ directory: boolean; ownerUid: number }>;
  /**
   * Whether `caller` may read and search the directory at `path`, checked as that user (its uid, gid and
   * supplementary groups), through every parent. Never throws: false when it cannot be told.
   */
  canRead(path: string, caller: Caller): Promise<boolean>;
}

/**
 * Feeds a classic (SSHFS) mount: runs `command` in the guest over SSH (it starts `sshfs -o slave`, which speaks
 * SFTP on its stdin and stdout) and, on the host's end of that session, an SFTP server run as `owner`, so the
 * guest reaches the source with exactly that user's rights. The pair outlives the daemon, as QEMU does, and
 * ends by itself when the guest's sshfs ends (umount, the guest stops).
 */
export interface SftpFeed {
  /** Starts the pair. @throws SkiffError when a process cannot be started */
  start(options: SftpFeedOptions): Promise<SftpFeedHandle>;
}

export interface SftpFeedOptions {
  ssh: SshTarget;
  command: string;
  /** The directory the SFTP server starts in (the mount's source). */
  source: string;
  owner: Caller;
  /** Names the log file (`sshfs-<label>.log`): what ssh and the guest's sshfs say goes there. */
  label: string;
}

export interface SftpFeedHandle {
  /** Settles when either process ends, with how and the last lines of the log. */
  exited: Promise<string>;
  /** Ends both (used when the mount never came up). */
  stop(): void;
}
