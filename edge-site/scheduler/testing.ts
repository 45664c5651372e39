import type { CandidateHost } from './types.ts';

/** A candidate host for tests: 8 vCPUs, 8 GiB RAM, 100 GiB disk, up, enabled, nothing used. */
export function host(id: string, over: Partial<CandidateHost> = {}): CandidateHost {
  return {
    id,
    up: true,
    enabled: true,
    availabilityZone: 'nova',
    hypervisorType: 'fake',
    architecture: 'x86_64',
    capacity: { vcpus: 8, memoryMiB: 8192, diskGiB: 100 },
    used: { vcpus: 0, memoryMiB: 0, diskGiB: 0, instances: 0 },
    ...over,
  };
}

/** A small seeded PRNG (mulberry32) for property tests: deterministic, no dependency. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
