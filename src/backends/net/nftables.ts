/**
 * @module skiff's NAT through nftables (its own table, replaced as one unit) and IPv4 forwarding.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { NatFirewall } from '../../services/network/ports.js';
import { runTool } from './command.js';
import { NFT_FAMILY, hasSkiffTable, nftRemoveScript, nftRuleset } from './nft-ruleset.js';

/**
 * The global switch, not `net.ipv4.conf.<bridge>.forwarding`: the kernel decides to forward by the flag of the
 * interface a packet came in on, so with only the bridge's flag set the guests' packets would go out but the
 * replies arriving on the uplink would not be forwarded back. Namespaced: in a test namespace it changes
 * that namespace alone.
 */
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export class NftNatFirewall implements NatFirewall {
  constructor(private readonly forwardSwitch = IP_FORWARD) {}

  async apply(config: { bridge: string; subnet: string }): Promise<void> {
    await runTool('nft', ['-f', '-'], {
      doing: "creating skiff's nftables table",
      input: nftRuleset(config),
    });
    await this.#enableForwarding();
  }

  async remove(): Promise<boolean> {
    const listing = await runTool('nft', ['list', 'tables', NFT_FAMILY], {
      doing: 'listing nftables tables',
    });
    if (!hasSkiffTable(listing)) return false;
    await runTool('nft', ['-f', '-'], { doing: "deleting skiff's nftables table", input: nftRemoveScript() });
    return true;
  }

  async #enableForwarding(): Promise<void> {
    try {
      if ((await readFile(this.forwardSwitch, 'utf8')).trim() === '1') return;
      await writeFile(this.forwardSwitch, '1\n');
    } catch (error) {
      throw new SkiffError(
        'internal',
        `turning IPv4 forwarding on (${this.forwardSwitch}): ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
