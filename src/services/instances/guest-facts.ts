/**
 * @module What `info` reads from inside a guest: one shell command, parsed purely.
 */

/** The command run in the guest; its sections are separated by a marker line. */
export const GUEST_FACTS_COMMAND = [
  'cat /etc/os-release 2>/dev/null',
  'echo @@',
  'cat /proc/loadavg',
  'echo @@',
  'df -P -B1 / | tail -n 1',
  'echo @@',
  'head -n 3 /proc/meminfo',
  'echo @@',
  'hostname -I 2>/dev/null || ip -4 -o addr show scope global 2>/dev/null',
].join('; ');

export interface GuestFacts {
  release: string | null;
  load: [number, number, number] | null;
  disk: { device: string; usedBytes: number; totalBytes: number } | null;
  memory: { usedBytes: number; totalBytes: number } | null;
  ipv4: string[];
}

export function parseGuestFacts(output: string): GuestFacts {
  const [osRelease = '', loadavg = '', df = '', meminfo = '', addresses = ''] = output.split(/^@@$/m);
  const pretty = printable(/^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1]) || null;
  const loads = loadavg.trim().split(/\s+/).slice(0, 3).map(Number);
  const load =
    loads.length === 3 && loads.every((n) => Number.isFinite(n)) ? (loads as [number, number, number]) : null;
  const dfParts = df.trim().split(/\s+/);
  const disk =
    dfParts.length >= 4 && Number.isFinite(Number(dfParts[1]))
      ? {
          device: printable(dfParts[0]!.replace(/^\/dev\//, '')),
          totalBytes: Number(dfParts[1]),
          usedBytes: Number(dfParts[2]),
        }
      : null;
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? NaN) * 1024;
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  const memory =
    Number.isFinite(total) && Number.isFinite(available)
      ? { totalBytes: total, usedBytes: total - available }
      : null;
  // `hostname -I` prints bare addresses; `ip -o addr` prints `inet A.B.C.D/NN brd ...`: take only the address.
  const found = /\binet\s/.test(addresses)
    ? [...addresses.matchAll(/\binet\s+(\d{1,3}(?:\.\d{1,3}){3})\//g)]
    : [...addresses.matchAll(/\b(\d{1,3}(?:\.\d{1,3}){3})\b/g)];
  const ipv4 = found.map((m) => m[1]!).filter((ip) => !ip.startsWith('127.'));
  return { release: pretty, load, disk, memory, ipv4: [...new Set(ipv4)] };
}

/** The text without control characters: it comes from the guest and ends up on the user's terminal. */
function printable(text: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (text ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 256);
}
