import { eq } from 'drizzle-orm';
import { BrumeError } from '../../shared/errors.ts';
import { allocations } from '../db/schema/fleet.ts';
import { type CandidateHost, schedule } from '../scheduler/index.ts';
import type { ClaimRequest, Fleet, HostState, HostUsage, Placement, SiteDeps } from '../services.ts';
import type { FleetMetrics } from './metrics.ts';
import { createMutex } from './mutex.ts';

interface Allocation {
  consumerId: string;
  host: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  projectId: string;
  createdAt: number;
}

/** The CPU architecture a host reports in its cpuInfo JSON (`{"arch": "x86_64", …}`), if any. */
export function architectureOf(host: HostState): string | null {
  const raw = host.inventory.cpuInfo;
  if (!raw) return null;
  try {
    const info = JSON.parse(raw) as { arch?: unknown };
    return typeof info.arch === 'string' ? info.arch : null;
  } catch {
    return null;
  }
}

/**
 * Placement: a claim takes the in-process lock, snapshots hosts and usage, asks the pure scheduler, records the
 * allocation and releases the lock, so concurrent claims never over-commit. Allocations live in SQLite and in memory.
 */
export async function createPlacement(
  deps: SiteDeps,
  fleet: Pick<Fleet, 'hosts'>,
  metrics: FleetMetrics,
): Promise<Placement> {
  const { db } = deps.db;
  const byConsumer = new Map<string, Allocation>();
  for (const row of await db.select().from(allocations)) byConsumer.set(row.consumerId, row);
  const mutex = createMutex();
  const log = deps.log.child({ module: 'placement' });

  const usage = (host: string): HostUsage => {
    const u: HostUsage = { vcpus: 0, memoryMiB: 0, diskGiB: 0, instances: 0 };
    for (const a of byConsumer.values()) {
      if (a.host !== host) continue;
      u.vcpus += a.vcpus;
      u.memoryMiB += a.memoryMiB;
      u.diskGiB += a.diskGiB;
      u.instances += 1;
    }
    return u;
  };
  const snapshot = (): CandidateHost[] =>
    fleet.hosts().map((h) => ({
      id: h.id,
      up: h.state === 'up',
      enabled: h.enabled,
      availabilityZone: h.availabilityZone,
      hypervisorType: h.inventory.hypervisorType,
      architecture: architectureOf(h),
      capacity: { vcpus: h.inventory.vcpus, memoryMiB: h.inventory.memoryMiB, diskGiB: h.inventory.diskGiB },
      used: usage(h.id),
    }));

  return {
    claim: (req: ClaimRequest) =>
      mutex.run(async () => {
        const had = byConsumer.get(req.consumerId);
        if (had) return { host: had.host };
        const result = schedule(req, snapshot(), deps.config.scheduler);
        if ('error' in result) {
          metrics.schedulerDecisions.inc({ result: 'no_valid_host' });
          metrics.schedulerFailures.inc();
          log.info({ consumer: req.consumerId, reasons: result.reasons }, 'no valid host');
          throw new BrumeError(
            'conflict',
            'scheduler.no_valid_host',
            `No valid host was found. ${result.reasons[0] ?? ''}`,
            {
              details: { reasons: result.reasons },
            },
          );
        }
        const a: Allocation = {
          consumerId: req.consumerId,
          host: result.host,
          vcpus: req.vcpus,
          memoryMiB: req.memoryMiB,
          diskGiB: req.diskGiB,
          projectId: req.projectId,
          createdAt: deps.clock.now(),
        };
        await db.insert(allocations).values(a);
        byConsumer.set(a.consumerId, a);
        metrics.schedulerDecisions.inc({ result: 'placed' });
        log.debug({ consumer: a.consumerId, host: a.host }, 'allocation claimed');
        return { host: a.host };
      }),
    release: (consumerId) =>
      mutex.run(async () => {
        if (!byConsumer.has(consumerId)) return;
        await db.delete(allocations).where(eq(allocations.consumerId, consumerId));
        byConsumer.delete(consumerId);
      }),
    usage,
  };
}
