import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { decodeNetworkState, loadNetworkState, saveNetworkState, stateFilePath } from './network-state.js';

const good = { name: 'a', mac: '52:54:00:00:00:01', ipv4: '10.1.1.2' };

it('decoding keeps good reservations and names each dropped one', () => {
  const { value, dropped } = decodeNetworkState({
    bridge: 'skiffbr0',
    subnet: '10.1.1.0/24',
    origin: 'auto',
    reservations: [
      good,
      { name: 'b', mac: '52:54:00:00:00:02', ipv4: '10.9.9.9' },
      { name: 'a', mac: '52:54:00:00:00:03', ipv4: '10.1.1.3' },
      { name: 'c', mac: '52:54:00:00:00:0A', ipv4: '10.1.1.4' },
      { name: 'bad name', mac: '52:54:00:00:00:05', ipv4: '10.1.1.5' },
      'x',
    ],
  });
  assert.deepEqual(value.reservations, [good]);
  assert.deepEqual(dropped, [
    'dropped reservation 1: b: 10.9.9.9 is not in the subnet',
    'dropped reservation 2: a: duplicates the reservation of a',
    'dropped reservation 3: mac 52:54:00:00:00:0A is not lowercase',
    'dropped reservation 4: name: "bad name" is not a valid host name for a DHCP reservation',
    'dropped reservation 5: not an object',
  ]);
  for (const bad of [null, [], { bridge: 'b', subnet: '10.1.1.1/24', origin: 'auto', reservations: [] }]) {
    assert.throws(() => decodeNetworkState(bad), /^SkiffError: network state: /);
  }
});

it('a saved state loads back; a torn file falls back to the previous version', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-net-state-'));
  try {
    const first = { bridge: 'skiffbr0', subnet: '10.1.1.0/24', origin: 'auto' as const, reservations: [] };
    await saveNetworkState(dir, first);
    await saveNetworkState(dir, { ...first, reservations: [good] });
    assert.deepEqual((await loadNetworkState(dir, 0)).value?.reservations, [good]);
    await writeFile(stateFilePath(dir), '{"schema":1,"data":{"bri');
    const loaded = await loadNetworkState(dir, 0);
    assert.equal(loaded.source, 'backup');
    assert.deepEqual(loaded.value, first);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
