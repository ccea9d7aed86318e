import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hasSkiffTable, nftRemoveScript, nftRuleset } from './nft-ruleset.js';

it("replaces skiff's table in one script: masquerade out of the subnet, forward for the bridge", () => {
  assert.equal(
    nftRuleset({ bridge: 'skiffbr0', subnet: '10.42.7.0/24' }),
    [
      'table ip skiff',
      'delete table ip skiff',
      'table ip skiff {',
      '\tchain postrouting {',
      '\t\ttype nat hook postrouting priority srcnat; policy accept;',
      '\t\tip saddr 10.42.7.0/24 ip daddr != 10.42.7.0/24 ip daddr != { 224.0.0.0/4, 255.255.255.255 } masquerade',
      '\t}',
      '\tchain forward {',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t\tiifname "skiffbr0" accept',
      '\t\toifname "skiffbr0" ct state established,related accept',
      '\t\toifname "skiffbr0" ct status dnat accept',
      '\t\toifname "skiffbr0" reject',
      '\t}',
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(nftRemoveScript(), 'delete table ip skiff\n');
});

it('refuses a bridge name or subnet that could break out of the script', () => {
  assert.throws(
    () => nftRuleset({ bridge: 'br" accept; #', subnet: '10.0.0.0/24' }),
    /not a valid interface name/,
  );
  assert.throws(
    () => nftRuleset({ bridge: 'a-very-long-bridge-name', subnet: '10.0.0.0/24' }),
    /not a valid/,
  );
  assert.throws(() => nftRuleset({ bridge: 'br0', subnet: '10.0.0.0/24 accept' }), /not a\.b\.c\.d\/n/);
});

it('finds skiff table in a listing, and only it', () => {
  assert.ok(hasSkiffTable('table ip filter\ntable ip skiff\n'));
  assert.ok(!hasSkiffTable('table ip skiffer\ntable inet skiff\n'));
});
