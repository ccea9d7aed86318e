/**
 * @module What the mounts service needs from the outside: a look at host paths with the rights of the user who
 * asked. The VM side is the driver's Mounter and the GuestShell (services/instances/ports.ts). Backends
 * implement these; the service never imports them.
 */

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
