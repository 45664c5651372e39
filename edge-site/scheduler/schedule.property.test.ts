import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.ts';
import { host, prng } from './testing.ts';
import type { CandidateHost, ScheduleOptions, ScheduleRequest } from './types.ts';

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

function fits(h: CandidateHost, r: ScheduleRequest, o: ScheduleOptions): boolean {
  return (
    h.up &&
    h.enabled &&
    (!r.availabilityZone || h.availabilityZone === r.availabilityZone) &&
    h.used.vcpus + r.vcpus <= h.capacity.vcpus * o.cpuAllocationRatio &&
    h.used.memoryMiB + r.memoryMiB <= h.capacity.memoryMiB * o.ramAllocationRatio &&
    h.used.diskGiB + r.diskGiB <= h.capacity.diskGiB * o.diskAllocationRatio
  );
}

describe('schedule (property)', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`never over-commits and rejects only when nothing fits (seed ${seed})`, () => {
      const rand = prng(seed);
      const o: ScheduleOptions = {
        cpuAllocationRatio: pick(rand, [1, 2, 16]),
        ramAllocationRatio: pick(rand, [1, 1.5]),
        diskAllocationRatio: pick(rand, [1, 2]),
        ramWeigher: pick(rand, ['spread', 'pack'] as const),
      };
      const hosts = Array.from({ length: int(rand, 1, 6) }, (_, i) =>
        host(`h${i}`, {
          up: rand() > 0.1,
          enabled: rand() > 0.1,
          availabilityZone: pick(rand, ['az1', 'az2']),
          capacity: { vcpus: int(rand, 1, 8), memoryMiB: int(rand, 1, 16) * 512, diskGiB: int(rand, 1, 50) },
        }),
      );
      let placed = 0;
      for (let n = 0; n < 200; n++) {
        const req: ScheduleRequest = {
          vcpus: int(rand, 1, 4),
          memoryMiB: int(rand, 1, 8) * 256,
          diskGiB: int(rand, 0, 10),
          ...(rand() < 0.3 ? { availabilityZone: pick(rand, ['az1', 'az2']) } : {}),
        };
        const anyFits = hosts.some((h) => fits(h, req, o));
        const r = schedule(req, hosts, o);
        if ('error' in r) {
          expect(anyFits, `rejected although a host fits: ${r.reasons.join(' | ')}`).toBe(false);
          continue;
        }
        const h = hosts.find((x) => x.id === r.host);
        if (!h) throw new Error(`unknown host ${r.host}`);
        expect(fits(h, req, o)).toBe(true);
        h.used = {
          vcpus: h.used.vcpus + req.vcpus,
          memoryMiB: h.used.memoryMiB + req.memoryMiB,
          diskGiB: h.used.diskGiB + req.diskGiB,
          instances: h.used.instances + 1,
        };
        placed++;
        for (const x of hosts) {
          expect(x.used.vcpus).toBeLessThanOrEqual(x.capacity.vcpus * o.cpuAllocationRatio);
          expect(x.used.memoryMiB).toBeLessThanOrEqual(x.capacity.memoryMiB * o.ramAllocationRatio);
          expect(x.used.diskGiB).toBeLessThanOrEqual(x.capacity.diskGiB * o.diskAllocationRatio);
        }
        // Same snapshot, same answer: the scheduler is deterministic.
        expect(schedule(req, hosts, o)).toEqual(schedule(req, hosts, o));
      }
      expect(placed).toBeGreaterThanOrEqual(0);
    });
  }
});
