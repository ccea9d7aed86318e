/**
 * @module Who is on the other end of a Unix socket connection: the kernel's SO_PEERCRED (the credentials the
 * peer had when it connected, which it cannot forge or change later). Node.js has no API for it: it is read
 * in-process through koffi (so-peercred.ts, microseconds), or, where koffi cannot load, by a `perl` child: the
 * connection is handed to the child as its fd 3 (a duplicate; the child reads nothing from it), and Perl's core
 * Socket module, part of Debian's essential perl-base, makes the getsockopt call (milliseconds).
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { readPeerCred } from './so-peercred.js';

const SCRIPT = [
  'use Socket;',
  'open(my $s, "+<&=", 3) or die "fd 3: $!\\n";',
  'my $c = getsockopt($s, SOL_SOCKET, SO_PEERCRED) or die "SO_PEERCRED: $!\\n";',
  'my ($pid, $uid, $gid) = unpack("lLL", $c);',
  'print "$pid $uid $gid\\n";',
].join(' ');

const TIMEOUT_MS = 5_000;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * The credentials of the process that connected `socket` (a Unix stream socket the daemon accepted).
 * @returns null when they cannot be read (no perl, not a Unix socket, the connection gone); never throws
 */
export function peerCredentials(socket: Socket): Promise<PeerCredentials | null> {
  // The bare descriptor, not the Socket: handing a stream to spawn() stops the parent reading it (Node pauses
  // it for the child's sake), and the daemon would never see the client hang up.
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return Promise.resolve(null);
  const here = readPeerCred(fd);
  if (here !== null) return Promise.resolve(here);
  return viaPerl(fd);
}

/** The fallback: a perl child reads SO_PEERCRED of `fd`. */
function viaPerl(fd: number): Promise<PeerCredentials | null> {
  return new Promise((resolve) => {
    let output = '';
    let child;
    try {
      child = spawn('perl', ['-e', SCRIPT], {
        stdio: ['ignore', 'pipe', 'ignore', fd],
        timeout: TIMEOUT_MS,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
    } catch {
      return resolve(null);
    }
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', () => resolve(null));
    child.once('close', (code) => {
      const match = /^(\d+) (\d+) (\d+)\n$/.exec(output);
      if (code !== 0 || match === null) return resolve(null);
      resolve({ pid: Number(match[1]), uid: Number(match[2]), gid: Number(match[3]) });
    });
  });
}
