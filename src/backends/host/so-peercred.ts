/**
 * @module SO_PEERCRED in-process: getsockopt(2) from libc through `koffi`, a foreign-function library that
 * ships prebuilt binaries for every common platform inside its npm package (no compiler at install). A call
 * takes ~2 µs, where a `perl` child takes milliseconds: on the daemon's socket every connection's peer is read
 * (per-user trust), so a burst of 200 connections must not fork 200 processes. Loaded on first use; when it
 * cannot load (a platform without a prebuilt binary), `readPeerCred` is null and the caller falls back.
 */
import { createRequire } from 'node:module';
import type Koffi from 'koffi';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; } */
const UCRED_BYTES = 12;

type GetSockOpt = (fd: number, level: number, name: number, buf: Buffer, len: number[]) => number;

function load(): GetSockOpt | null {
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const libc = koffi.load('libc.so.6');
    return libc.func(
      'int getsockopt(int fd, int level, int name, _Out_ uint8_t *buf, _Inout_ uint32_t *len)',
    ) as GetSockOpt;
  } catch {
    return null;
  }
}

let getsockopt: GetSockOpt | null | undefined;

/**
 * The peer's pid, uid and gid of the Unix socket `fd`, read in-process; null when this cannot be done here
 * (koffi did not load) or the call fails (not a Unix socket, closed).
 */
export function readPeerCred(fd: number): { pid: number; uid: number; gid: number } | null {
  getsockopt ??= load();
  if (getsockopt === null) return null;
  const buf = Buffer.alloc(UCRED_BYTES);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, [UCRED_BYTES]) !== 0) return null;
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}

/** Whether the in-process path is available (for logs and tests). */
export function inProcessPeerCred(): boolean {
  getsockopt ??= load();
  return getsockopt !== null;
}
