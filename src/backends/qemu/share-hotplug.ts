/**
 * @module Shares in a running VM over QMP: which share devices it has, a free spare root port, plugging a
 * vhost-user-fs device (chardev-add + device_add) and unplugging any share device (device_del, which the guest
 * must acknowledge, then chardev-remove).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SkiffError } from '../../core/errors.js';
import type { QmpClient } from './qmp-client.js';
import { shareChardevId, shareDeviceId } from './share-args.js';

const ROOT_PORT = /^rp\d+$/;

interface PciDevice {
  qdev_id?: string;
  pci_bridge?: { devices?: PciDevice[] };
}

/** The ids of the devices made with an id (`-device id=`, device_add). */
async function peripherals(client: QmpClient): Promise<Set<string>> {
  const entries = await client.execute<Array<{ name: string }>>('qom-list', { path: '/machine/peripheral' });
  return new Set(entries.map((entry) => entry.name));
}

/** Whether the VM has a share device for `tag` (from the boot or hot-plugged). */
export async function hasShareDevice(client: QmpClient, tag: string): Promise<boolean> {
  return (await peripherals(client)).has(shareDeviceId(tag));
}

/** The lowest-numbered root port with nothing behind it, or null when all are taken. */
export async function freeRootPort(client: QmpClient): Promise<string | null> {
  const buses = await client.execute<Array<{ devices: PciDevice[] }>>('query-pci');
  const free = buses
    .flatMap((bus) => bus.devices)
    .filter(
      (device) => ROOT_PORT.test(device.qdev_id ?? '') && (device.pci_bridge?.devices ?? []).length === 0,
    )
    .map((device) => device.qdev_id as string)
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
  return free[0] ?? null;
}

/** Plugs a vhost-user-fs device for `tag` on `bus`, talking to the virtiofsd at `socket`. Undoes the chardev on failure. */
export async function plugVirtiofs(
  client: QmpClient,
  share: { tag: string; socket: string; bus: string },
): Promise<void> {
  const chardev = shareChardevId(share.tag);
  await client.execute('chardev-add', {
    id: chardev,
    backend: {
      type: 'socket',
      data: { addr: { type: 'unix', data: { path: share.socket } }, server: false },
    },
  });
  try {
    await client.execute('device_add', {
      driver: 'vhost-user-fs-pci',
      id: shareDeviceId(share.tag),
      chardev,
      tag: share.tag,
      bus: share.bus,
    });
  } catch (error) {
    await client.execute('chardev-remove', { id: chardev }).catch(() => undefined);
    throw error;
  }
}

/**
 * Unplugs the share device of `tag` (if any) and waits until the guest let it go, then drops its chardev (if
 * any: 9p devices have none, and their -fsdev stays until QEMU exits, as QMP cannot remove one).
 * @throws SkiffError timeout when the guest does not release the device within `timeoutMs`
 */
export async function unplugShare(client: QmpClient, tag: string, timeoutMs: number): Promise<void> {
  const id = shareDeviceId(tag);
  if ((await peripherals(client)).has(id)) {
    // device_del only asks the guest (ACPI / PCIe hotplug); the device is gone when qom no longer lists it.
    await client.execute('device_del', { id });
    const deadline = Date.now() + timeoutMs;
    while ((await peripherals(client)).has(id)) {
      if (Date.now() > deadline)
        throw new SkiffError(
          'timeout',
          `the guest did not release share ${tag} within ${Math.round(timeoutMs / 1000)} s (is it still mounted?)`,
        );
      await sleep(100);
    }
  }
  await client.execute('chardev-remove', { id: shareChardevId(tag) }).catch(() => undefined);
}
