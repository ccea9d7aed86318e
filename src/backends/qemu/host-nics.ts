/**
 * @module The host side of a VM's NICs, done with iproute2: a tap QEMU made is enslaved to its bridge; a
 * macvtap device is made on an ethernet interface and opened (`/dev/tapIFINDEX`) for QEMU to inherit. Names
 * are derived from the instance name, so a restarted daemon finds them again without a record.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';

const run = promisify(execFile);
const IP = 'ip';

/**
 * The host name of the NIC `index` of instance `name`: `sk` + 8 hex of the name's hash + `t`/`m` + index, at
 * most 15 bytes (IFNAMSIZ). Instance names are up to 63 characters, so they cannot be used as they are.
 */
export function hostNicName(name: string, index: number, kind: 'tap' | 'macvtap'): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `sk${hash}${kind === 'tap' ? 't' : 'm'}${index}`;
}

interface LinkFacts {
  ifname: string;
  ifindex: number;
  kind: string | null;
  master: string | null;
}

/** One link as `ip -j -d link show dev NAME` describes it, or null when there is none. */
export async function linkFacts(name: string): Promise<LinkFacts | null> {
  let stdout: string;
  try {
    ({ stdout } = await run(IP, ['-j', '-d', 'link', 'show', 'dev', name]));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new MissingDependencyError(`cannot run ${IP}: it is not installed`, {
        program: IP,
        package: 'iproute2',
        cause: error,
      });
    if (/does not exist|Cannot find device/i.test(e.stderr ?? '')) return null;
    throw new SkiffError('internal', `ip link show ${name}: ${(e.stderr ?? e.message).trim()}`, {
      cause: error,
    });
  }
  const [raw] = JSON.parse(stdout) as Array<Record<string, unknown>>;
  if (raw === undefined) return null;
  const info = raw.linkinfo as { info_kind?: unknown } | undefined;
  return {
    ifname: String(raw.ifname),
    ifindex: Number(raw.ifindex),
    kind: typeof info?.info_kind === 'string' ? info.info_kind : null,
    master: typeof raw.master === 'string' ? raw.master : null,
  };
}

/** @throws SkiffError invalid-argument when `bridge` is not a bridge on this host */
export async function assertBridge(bridge: string): Promise<void> {
  const facts = await linkFacts(bridge);
  if (facts === null)
    throw new SkiffError('invalid-argument', `network bridge "${bridge}" does not exist on this host`);
  if (facts.kind !== 'bridge')
    throw new SkiffError(
      'invalid-argument',
      `"${bridge}" is not a network bridge (it is ${facts.kind ?? 'a device'})`,
    );
}

/** Puts the tap QEMU made into `bridge` and brings it up. */
export async function enslaveTap(ifname: string, bridge: string): Promise<void> {
  await ip(['link', 'set', 'dev', ifname, 'master', bridge, 'up'], `attach ${ifname} to bridge ${bridge}`);
}

/**
 * Makes (again) the macvtap device `ifname` on `parent` with `mac`, in bridge mode (guests on the same parent
 * reach each other; the host itself cannot reach them through it, a macvtap limit), and opens its character
 * device for QEMU. The caller closes the handle once QEMU has inherited it.
 */
export async function openMacvtap(ifname: string, parent: string, mac: string): Promise<FileHandle> {
  await deleteLink(ifname);
  const facts = await linkFacts(parent);
  if (facts === null)
    throw new SkiffError('invalid-argument', `network interface "${parent}" does not exist on this host`);
  await ip(
    ['link', 'add', 'link', parent, 'name', ifname, 'address', mac, 'type', 'macvtap', 'mode', 'bridge'],
    `make a macvtap device on ${parent}`,
  );
  await ip(['link', 'set', 'dev', ifname, 'up'], `bring ${ifname} up`);
  const made = await linkFacts(ifname);
  if (made === null) throw new SkiffError('internal', `macvtap ${ifname} vanished after it was made`);
  return open(`/dev/tap${made.ifindex}`, 'r+');
}

/** Removes every link whose name starts with `prefix` (a VM's macvtap devices). */
export async function deleteLinksNamed(prefix: string): Promise<void> {
  const { stdout } = await run(IP, ['-j', 'link', 'show']);
  const names = (JSON.parse(stdout) as Array<{ ifname?: unknown }>)
    .map((link) => String(link.ifname))
    .filter((name) => name.startsWith(prefix));
  for (const name of names) await deleteLink(name);
}

/** Removes a link if it exists (macvtap devices outlive QEMU; taps QEMU made go with it). */
export async function deleteLink(ifname: string): Promise<void> {
  if ((await linkFacts(ifname)) === null) return;
  await ip(['link', 'del', 'dev', ifname], `remove ${ifname}`);
}

async function ip(args: string[], doing: string): Promise<void> {
  try {
    await run(IP, args);
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new SkiffError('internal', `cannot ${doing}: ${stderr}`, { cause: error });
  }
}
