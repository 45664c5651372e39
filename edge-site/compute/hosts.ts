/** Hypervisors and services as Nova shows them, derived from the fleet's hosts and placement usage. */
import { createHash } from 'node:crypto';
import type { HostState, Placement } from '../services.ts';
import { isoMicro } from './links.ts';

/** A stable name-based UUID (hypervisor and service ids from 2.53). */
export function nameUuid(name: string): string {
  const h = createHash('sha1').update(`brume:${name}`).digest('hex');
  const variant = ((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** The nova-compute service id of a host (1 and 2 are the site's scheduler and conductor). */
export function computeServiceId(h: HostState): number {
  return h.numericId + 2;
}

/** One service row of `os-services`. */
export interface ServiceRow {
  id: number;
  uuid: string;
  binary: string;
  host: string;
  zone: string;
  status: 'enabled' | 'disabled';
  state: 'up' | 'down';
  updated_at: string | null;
  disabled_reason: string | null;
  forced_down: boolean;
}

/** nova-scheduler and nova-conductor on the site itself, then nova-compute per host. */
export function serviceRows(site: string, hosts: readonly HostState[], now: number): ServiceRow[] {
  const control = ['nova-scheduler', 'nova-conductor'].map((binary, i) => ({
    id: i + 1,
    uuid: nameUuid(`service:${site}:${binary}`),
    binary,
    host: site,
    zone: 'internal',
    status: 'enabled' as const,
    state: 'up' as const,
    updated_at: isoMicro(now),
    disabled_reason: null,
    forced_down: false,
  }));
  const computes = hosts.map((h) => ({
    id: computeServiceId(h),
    uuid: nameUuid(`service:${h.id}:nova-compute`),
    binary: 'nova-compute',
    host: h.id,
    zone: h.availabilityZone,
    status: h.enabled ? ('enabled' as const) : ('disabled' as const),
    state: h.state,
    updated_at: h.lastSeen ? isoMicro(h.lastSeen) : null,
    disabled_reason: h.disabledReason,
    forced_down: false,
  }));
  return [...control, ...computes];
}

/** A hypervisor's numbers from its inventory and placement usage. */
export function hypervisorStats(h: HostState, placement: Placement) {
  const u = placement.usage(h.id);
  const inv = h.inventory;
  return {
    vcpus: inv.vcpus,
    vcpus_used: u.vcpus,
    memory_mb: inv.memoryMiB,
    memory_mb_used: u.memoryMiB,
    local_gb: inv.diskGiB,
    local_gb_used: u.diskGiB,
    free_ram_mb: inv.memoryMiB - u.memoryMiB,
    free_disk_gb: inv.diskGiB - u.diskGiB,
    running_vms: u.instances,
    current_workload: 0,
    disk_available_least: inv.diskGiB - u.diskGiB,
  };
}
