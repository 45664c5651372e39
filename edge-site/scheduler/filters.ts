import type { CandidateHost, ScheduleOptions, ScheduleRequest } from './types.ts';

/** A host filter: null when the host passes, else why it was rejected. Named as in Nova's logs. */
export interface HostFilter {
  name: string;
  reject(host: CandidateHost, req: ScheduleRequest, opts: ScheduleOptions): string | null;
}

/** Usable amount of a resource after the allocation ratio, minus what is already used. */
export function free(capacity: number, ratio: number, used: number): number {
  return capacity * ratio - used;
}

/** The host's agent is up and the operator has not disabled it (a forced host may be disabled, as in Nova). */
export const computeFilter: HostFilter = {
  name: 'ComputeFilter',
  reject(h, req) {
    if (!h.up) return 'host is down';
    if (!h.enabled && req.forceHost !== h.id) return 'host is disabled';
    return null;
  },
};

/** The requested availability zone (skipped when a host is forced). */
export const availabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  reject(h, req) {
    if (!req.availabilityZone || req.forceHost) return null;
    return h.availabilityZone === req.availabilityZone
      ? null
      : `availability zone ${h.availabilityZone} is not ${req.availabilityZone}`;
  },
};

const ARCH_ALIASES: Record<string, string> = { amd64: 'x86_64', x64: 'x86_64', arm64: 'aarch64', i686: 'i686' };
const canonArch = (a: string): string => ARCH_ALIASES[a.toLowerCase()] ?? a.toLowerCase();

/** Image properties `hypervisor_type`/`img_hv_type` and `hw_architecture`/`architecture` against the host. */
export const imagePropertiesFilter: HostFilter = {
  name: 'ImagePropertiesFilter',
  reject(h, req) {
    const p = req.imageProperties ?? {};
    const hv = p.img_hv_type ?? p.hypervisor_type;
    if (hv && hv.toLowerCase() !== h.hypervisorType.toLowerCase()) {
      return `image wants hypervisor_type ${hv}, host is ${h.hypervisorType}`;
    }
    const arch = p.hw_architecture ?? p.architecture;
    if (arch) {
      if (h.architecture === null) return `image wants architecture ${arch}, host does not report one`;
      if (canonArch(arch) !== canonArch(h.architecture)) {
        return `image wants architecture ${arch}, host is ${h.architecture}`;
      }
    }
    return null;
  },
};

/** vCPUs within capacity × cpu_allocation_ratio. */
export const coreFilter: HostFilter = {
  name: 'CoreFilter',
  reject(h, req, o) {
    const left = free(h.capacity.vcpus, o.cpuAllocationRatio, h.used.vcpus);
    return req.vcpus <= left ? null : `requested ${req.vcpus} vCPUs, usable ${left}`;
  },
};

/** RAM within capacity × ram_allocation_ratio. */
export const ramFilter: HostFilter = {
  name: 'RamFilter',
  reject(h, req, o) {
    const left = free(h.capacity.memoryMiB, o.ramAllocationRatio, h.used.memoryMiB);
    return req.memoryMiB <= left ? null : `requested ${req.memoryMiB} MiB RAM, usable ${left} MiB`;
  },
};

/** Disk within capacity × disk_allocation_ratio. */
export const diskFilter: HostFilter = {
  name: 'DiskFilter',
  reject(h, req, o) {
    const left = free(h.capacity.diskGiB, o.diskAllocationRatio, h.used.diskGiB);
    return req.diskGiB <= left ? null : `requested ${req.diskGiB} GiB disk, usable ${left} GiB`;
  },
};

/** Hard affinity: once the group has members, only their hosts. */
export const serverGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  reject(h, req) {
    const g = req.group;
    if (g?.policy !== 'affinity' || g.memberHosts.length === 0) return null;
    return g.memberHosts.includes(h.id) ? null : 'host holds no member of the affinity group';
  },
};

/** Hard anti-affinity: never a host already holding a member. */
export const serverGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  reject(h, req) {
    const g = req.group;
    if (g?.policy !== 'anti-affinity') return null;
    return g.memberHosts.includes(h.id) ? 'host already holds a member of the anti-affinity group' : null;
  },
};

/** The filters in the order they run (cheap and selective first, like Nova's default list). */
export const DEFAULT_FILTERS: readonly HostFilter[] = [
  computeFilter,
  availabilityZoneFilter,
  imagePropertiesFilter,
  coreFilter,
  ramFilter,
  diskFilter,
  serverGroupAntiAffinityFilter,
  serverGroupAffinityFilter,
];
