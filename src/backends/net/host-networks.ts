/**
 * @module The host's interfaces for `skiff networks` and `launch --network`, read afresh on each call from
 * `ip -j -d link` (iproute2), classified by host-interfaces.ts. Wi-Fi is told apart through sysfs
 * (`/sys/class/net/IF/wireless` or `phy80211`), and only when sysfs shows the same interface index as ip did:
 * a daemon in a network namespace may see another namespace's sysfs.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import type { HostInterface, HostNetworks } from '../../services/instances/ports.js';
import { classifyLinks, mayBeWireless, parseIpLinks, type IpLink } from './host-interfaces.js';

const run = promisify(execFile);

export interface LinuxHostNetworksOptions {
  /** Never listed: skiff's own managed bridge. */
  exclude?: readonly string[];
  /** Default `ip` from PATH. */
  ipCommand?: string;
  /** Default `/sys/class/net`. */
  sysClassNet?: string;
}

export class LinuxHostNetworks implements HostNetworks {
  private readonly exclude: ReadonlySet<string>;
  private readonly ipCommand: string;
  private readonly sysClassNet: string;

  constructor(options: LinuxHostNetworksOptions = {}) {
    this.exclude = new Set(options.exclude ?? []);
    this.ipCommand = options.ipCommand ?? 'ip';
    this.sysClassNet = options.sysClassNet ?? '/sys/class/net';
  }

  /** @throws MissingDependencyError without iproute2; SkiffError('internal') when ip fails */
  async list(): Promise<HostInterface[]> {
    const links = await this.links();
    const wireless = new Set<string>();
    await Promise.all(
      links.filter(mayBeWireless).map(async (link) => {
        if (await this.isWireless(link)) wireless.add(link.ifname);
      }),
    );
    return classifyLinks(links, { exclude: this.exclude, wireless });
  }

  private async links(): Promise<IpLink[]> {
    const argv = ['-j', '-d', 'link', 'show'];
    let stdout: string;
    try {
      ({ stdout } = await run(this.ipCommand, argv, { timeout: 10_000, maxBuffer: 32 << 20 }));
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') {
        throw new MissingDependencyError(
          `${this.ipCommand} not found on PATH: install the iproute2 package`,
          {
            program: this.ipCommand,
            package: 'iproute2',
            cause: error,
          },
        );
      }
      throw new SkiffError(
        'internal',
        `listing host network interfaces (${this.ipCommand} ${argv.join(' ')}): ${(e.stderr ?? '').trim() || e.message}`,
        { cause: error },
      );
    }
    try {
      return parseIpLinks(stdout);
    } catch (error) {
      throw new SkiffError('internal', `listing host network interfaces: ip printed no usable JSON`, {
        cause: error,
      });
    }
  }

  private async isWireless(link: IpLink): Promise<boolean> {
    const dir = join(this.sysClassNet, link.ifname);
    try {
      if (Number((await readFile(join(dir, 'ifindex'), 'utf8')).trim()) !== link.ifindex) return false;
    } catch {
      return false;
    }
    const exists = (name: string) =>
      access(join(dir, name)).then(
        () => true,
        () => false,
      );
    return (await exists('wireless')) || (await exists('phy80211'));
  }
}
