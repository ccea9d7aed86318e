import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QmpClient } from './qmp-client.js';
import { freeRootPort, hasShareDevice } from './share-hotplug.js';

/** A QMP client that answers each command from a table, recording what it was asked. */
function answering(replies: Record<string, unknown>): QmpClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    execute: async (command: string) => {
      asked.push(command);
      return replies[command];
    },
  } as unknown as QmpClient & { asked: string[] };
}

test('freeRootPort: the lowest-numbered root port with nothing behind it', async () => {
  const port = (id: string, devices: object[] = []) => ({ qdev_id: id, pci_bridge: { devices } });
  const client = answering({
    'query-pci': [
      {
        devices: [
          { qdev_id: '' },
          port('rp10'),
          port('rp0', [{ qdev_id: 'fs-home' }]),
          port('rp2'),
          port('other'),
        ],
      },
    ],
  });
  assert.equal(await freeRootPort(client), 'rp2');
  const full = answering({ 'query-pci': [{ devices: [port('rp0', [{ qdev_id: 'fs-a' }])] }] });
  assert.equal(await freeRootPort(full), null);
});

test('hasShareDevice: looks the device id up among the peripherals', async () => {
  const client = answering({ 'qom-list': [{ name: 'rp0' }, { name: 'fs-home' }] });
  assert.equal(await hasShareDevice(client, 'home'), true);
  assert.equal(await hasShareDevice(client, 'src'), false);
});
