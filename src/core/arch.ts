/**
 * @module The host CPU architecture in simplestreams' words, which are Debian's (`amd64`, not `x64`).
 */

/** Node's `process.arch` → simplestreams arch. Unknown names pass through (and then match no product). */
const SIMPLESTREAMS_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'armhf',
  ia32: 'i386',
  // Node says `ppc64` for little-endian POWER on Linux, the only POWER that Ubuntu cloud images exist for.
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/**
 * The simplestreams arch of this host (or of `nodeArch`).
 * @example hostArch('x64') // 'amd64'
 */
export function hostArch(nodeArch: string = process.arch): string {
  return SIMPLESTREAMS_ARCH[nodeArch] ?? nodeArch;
}
