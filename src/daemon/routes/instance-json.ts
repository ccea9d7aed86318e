/**
 * @module Encodes instances in Multipass's JSON shapes (list and info).
 */
import type { InstanceInfoJson, InstanceSummaryJson } from '../../api/contract.js';
import type { InstanceInfo, InstanceView } from '../../services/instances/instances.js';
import { networkModeOf } from '../../services/instances/nics.js';
import { idMapLabel } from '../../core/mount-spec.js';

/** `Ubuntu 24.04 LTS` for catalog images; what was asked for (URL, file) for custom ones. */
export function imageDescription(view: InstanceView): string {
  const { image } = view.record;
  if (!image.releaseTitle) return image.query;
  return image.os ? `${image.os} ${image.releaseTitle}` : image.releaseTitle;
}

export function summaryJson(view: InstanceView): InstanceSummaryJson {
  // With user-mode networking the guest's address is not reachable from the host, so list shows none.
  return { name: view.record.name, state: view.state, ipv4: view.ipv4, release: imageDescription(view) };
}

export function infoJson(info: InstanceInfo): InstanceInfoJson {
  const { record, guest } = info;
  const facts = guest?.facts ?? null;
  return {
    state: info.state,
    image_hash: record.image.id,
    image_release: record.image.releaseTitle,
    release: facts?.release ?? '',
    cpu_count: String(record.cpus),
    snapshot_count: '0',
    load: facts?.load ?? [],
    disks: facts?.disk
      ? { [facts.disk.device]: { used: String(facts.disk.usedBytes), total: String(facts.disk.totalBytes) } }
      : {},
    memory: facts?.memory ? { used: facts.memory.usedBytes, total: facts.memory.totalBytes } : {},
    // NAT mode: the leased address first (the one the host reaches), then what else the guest holds.
    ipv4: [...new Set([...info.ipv4, ...(facts?.ipv4 ?? [])])],
    mounts: Object.fromEntries(
      (record.mounts ?? []).map((m) => [
        m.target,
        {
          source_path: m.source,
          uid_mappings: m.uidMap.map(idMapLabel),
          gid_mappings: m.gidMap.map(idMapLabel),
        },
      ]),
    ),
    network_mode: networkModeOf(record),
    guest_facts: guest && {
      status: guest.status,
      read_at: guest.readAtMs === null ? null : new Date(guest.readAtMs).toISOString(),
      age_s: guest.ageMs === null ? null : Math.round(guest.ageMs / 100) / 10,
      error: guest.error,
    },
  };
}
