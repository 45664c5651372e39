/** Inputs and outputs of the pure scheduler. Nothing here reads the clock, randomness or I/O. */

/** Resources in the units Nova's placement uses. */
export interface Resources {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
}

/** One candidate host as the scheduler sees it: a snapshot taken by placement under its lock. */
export interface CandidateHost {
  id: string;
  up: boolean;
  enabled: boolean;
  availabilityZone: string;
  /** Nova's hypervisor_type, e.g. `fake`, `qemu`. */
  hypervisorType: string;
  /** CPU architecture when known (`x86_64`, `aarch64`); null when the host does not say. */
  architecture: string | null;
  /** Physical inventory (before allocation ratios). */
  capacity: Resources;
  /** What allocations already consume. */
  used: Resources & { instances: number };
}

/** What one server needs (a ClaimRequest without its bookkeeping fields). */
export interface ScheduleRequest extends Resources {
  availabilityZone?: string;
  imageProperties?: Record<string, string>;
  group?: { policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity'; memberHosts: string[] };
  ignoreHosts?: string[];
  forceHost?: string;
}

/** Allocation ratios and weigher choice (SiteConfig.scheduler). */
export interface ScheduleOptions {
  cpuAllocationRatio: number;
  ramAllocationRatio: number;
  diskAllocationRatio: number;
  /** `spread`: most free RAM first (Nova's default); `pack`: least free RAM first. */
  ramWeigher: 'spread' | 'pack';
}

/** Nova's defaults. */
export const DEFAULT_SCHEDULE_OPTIONS: ScheduleOptions = {
  cpuAllocationRatio: 16,
  ramAllocationRatio: 1.5,
  diskAllocationRatio: 1,
  ramWeigher: 'spread',
};

/** A host that passed every filter, with its total weight (higher wins). */
export interface WeighedHost {
  host: string;
  weight: number;
}

/** The scheduler's decision. */
export type ScheduleResult = { host: string; weighed: WeighedHost[] } | { error: 'no_valid_host'; reasons: string[] };
