/**
 * Cinder quotas for this site: limits per project (defaults unless overridden by an admin) and usage counted from the
 * volume tables. `reserve` checks before a create or an extend and throws Cinder's 413-like over-quota error.
 */
import { and, eq, ne } from 'drizzle-orm';
import { BrumeError } from '../../shared/errors.ts';
import { volumeQuotas, volumeSnapshots, volumes } from '../db/schema/volume.ts';
import type { SiteDeps } from '../services.ts';
import { DEFAULT_QUOTAS } from './model.ts';

/** A quota resource name. */
export type QuotaResource = keyof typeof DEFAULT_QUOTAS;

/** Usage per resource. */
export type Usage = Record<QuotaResource, number>;

/** Quotas of volumes. */
export interface VolumeQuotas {
  limits(projectId: string): Promise<Usage>;
  usage(projectId: string): Promise<Usage>;
  set(projectId: string, limits: Partial<Usage>): Promise<Usage>;
  reset(projectId: string): Promise<void>;
  /** Throws `over_quota` when adding `delta` would exceed a limit. */
  reserve(projectId: string, delta: Partial<Usage>): Promise<void>;
}

/** Resources whose limit is federation-wide on a federated site (`deps.quotaEscrow`: per-site escrow shares). */
const ESCROWED = ['volumes', 'gigabytes', 'snapshots'] as const;

/** Builds the quotas over the site database. */
export function volumeQuotaStore(deps: SiteDeps): VolumeQuotas {
  const { db } = deps.db;
  const q: VolumeQuotas = {
    async limits(projectId) {
      const out: Usage = { ...DEFAULT_QUOTAS };
      for (const r of await db.select().from(volumeQuotas).where(eq(volumeQuotas.projectId, projectId))) {
        if (r.resource in out) out[r.resource as QuotaResource] = r.hardLimit;
      }
      const e = deps.quotaEscrow;
      for (const r of e ? ESCROWED : []) out[r] = e?.limitOf(projectId, `volume.${r}`) ?? out[r];
      return out;
    },
    async usage(projectId) {
      const vols = await db
        .select()
        .from(volumes)
        .where(and(eq(volumes.projectId, projectId), ne(volumes.status, 'deleting')));
      const snaps = await db
        .select()
        .from(volumeSnapshots)
        .where(and(eq(volumeSnapshots.projectId, projectId), ne(volumeSnapshots.status, 'deleting')));
      const gigabytes = vols.reduce((n, v) => n + v.sizeGiB, 0) + snaps.reduce((n, s) => n + s.sizeGiB, 0);
      return {
        volumes: vols.length,
        snapshots: snaps.length,
        gigabytes,
        per_volume_gigabytes: 0,
        backups: 0,
        backup_gigabytes: 0,
        groups: 0,
      };
    },
    async set(projectId, limits) {
      for (const [resource, hardLimit] of Object.entries(limits)) {
        if (hardLimit === undefined) continue;
        await db
          .insert(volumeQuotas)
          .values({ projectId, resource, hardLimit })
          .onConflictDoUpdate({ target: [volumeQuotas.projectId, volumeQuotas.resource], set: { hardLimit } });
        if ((ESCROWED as readonly string[]).includes(resource)) {
          await deps.quotaEscrow?.setLimit(projectId, `volume.${resource}`, hardLimit);
        }
      }
      return q.limits(projectId);
    },
    async reset(projectId) {
      await db.delete(volumeQuotas).where(eq(volumeQuotas.projectId, projectId));
      for (const r of deps.quotaEscrow ? ESCROWED : []) await deps.quotaEscrow?.resetLimit(projectId, `volume.${r}`);
    },
    async reserve(projectId, delta) {
      const [limits, used] = await Promise.all([q.limits(projectId), q.usage(projectId)]);
      if (
        delta.gigabytes !== undefined &&
        limits.per_volume_gigabytes >= 0 &&
        delta.gigabytes > limits.per_volume_gigabytes
      ) {
        throw new BrumeError(
          'over_quota',
          'volume.quota_exceeded',
          `Requested volume or snapshot exceeds allowed per_volume_gigabytes quota. Requested ${delta.gigabytes}G, quota is ${limits.per_volume_gigabytes}G.`,
        );
      }
      for (const [k, n] of Object.entries(delta) as Array<[QuotaResource, number]>) {
        const limit = limits[k];
        if (limit >= 0 && used[k] + n > limit) {
          throw new BrumeError(
            'over_quota',
            'volume.quota_exceeded',
            `VolumeLimitExceeded: Maximum number of ${k} allowed (${limit}) exceeded for quota '${k}'. Requested ${n}, already used ${used[k]}.`,
          );
        }
      }
      const e = deps.quotaEscrow;
      for (const k of e ? ESCROWED : []) {
        const n = delta[k] ?? 0;
        const verdict = await e?.reserve(projectId, `volume.${k}`, used[k], n, limits[k]);
        if (verdict && !verdict.ok) {
          const rest =
            verdict.unreachable.length > 0
              ? `the rest is held by unreachable sites: ${verdict.unreachable.join(', ')}`
              : 'reachable sites have none to spare';
          throw new BrumeError(
            'over_quota',
            'volume.quota_exceeded',
            `VolumeLimitExceeded: Maximum number of ${k} allowed (${limits[k]}) exceeded for quota '${k}'. Requested ${n}, already used ${used[k]} (this site's share of the federation-wide limit is ${verdict.share}; ${rest}).`,
          );
        }
      }
    },
  };
  return q;
}
