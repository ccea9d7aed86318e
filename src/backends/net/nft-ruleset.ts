/**
 * @module skiff's nftables table as text, pure: masquerading the subnet's traffic to the world, and a forward
 * chain for the bridge. The script replaces the whole table in one transaction (`nft -f -` applies a file
 * atomically), so no packet ever sees half a ruleset, and nothing outside the table is touched.
 */

/** The table skiff owns: `nft list table ip skiff` shows it. */
export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'skiff';

const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * The `nft -f -` script that creates or replaces skiff's table. The add-then-delete prologue makes the delete
 * valid when the table does not exist yet; all three statements commit together.
 *
 * The forward chain accepts what the guests send and the replies to it (and port forwards, which the DNAT of
 * `skiff forward` marks), and rejects other traffic routed into the bridge: guests sit behind NAT. Its accepts
 * cannot override a drop in another table's forward chain (every base chain of a hook must accept); such a
 * host firewall has to allow the bridge itself.
 */
export function nftRuleset(config: { bridge: string; subnet: string }): string {
  const { bridge, subnet } = config;
  // Interface names go into the script quoted; refuse anything that could close the quote.
  if (!BRIDGE_NAME.test(bridge)) throw new Error(`bridge name "${bridge}" is not a valid interface name`);
  if (!/^[\d.]+\/\d{1,2}$/.test(subnet)) throw new Error(`subnet "${subnet}" is not a.b.c.d/n`);
  const iif = `iifname "${bridge}"`;
  const oif = `oifname "${bridge}"`;
  return [
    `table ${NFT_FAMILY} ${NFT_TABLE}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    // Multicast and broadcast stay local, as libvirt does.
    `\t\tip saddr ${subnet} ip daddr != ${subnet} ip daddr != { 224.0.0.0/4, 255.255.255.255 } masquerade`,
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    `\t\t${iif} accept`,
    `\t\t${oif} ct state established,related accept`,
    `\t\t${oif} ct status dnat accept`,
    `\t\t${oif} reject`,
    '\t}',
    '}',
    '',
  ].join('\n');
}

/** The script that deletes skiff's table, and nothing else. */
export const nftRemoveScript = (): string => `delete table ${NFT_FAMILY} ${NFT_TABLE}\n`;

/** Whether `nft list tables` output names skiff's table. */
export const hasSkiffTable = (listing: string): boolean =>
  listing.split('\n').some((line) => line.trim() === `table ${NFT_FAMILY} ${NFT_TABLE}`);
