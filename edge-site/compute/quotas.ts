/**
 * Compute quotas of a project at this site (site-local table; the default applies when no row overrides it) and
 * their enforcement at server creation, with Nova's messages.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { BrumeError, badRequest } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { SiteDatabase } from '../db/client.ts';
import { computeQuotas, computeServerGroups, computeServers } from '../db/schema/compute.ts';
import type { QuotaEscrow } from '../services.ts';

/** Nova's default quotas. -1 is unlimited. */
export const DEFAULT_QUOTAS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  floating_ips: -1,
  fixed_ips: -1,
  security_groups: -1,
  security_group_rules: -1,
} as const;

export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
export const QUOTA_RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];

/** Resource usage of a project (what `in_use` shows). */
export type QuotaUsage = Record<QuotaResource, number>;

/** Quota limits and usage of projects. */
export interface Quotas {
  limits(projectId: string): Promise<Record<QuotaResource, number>>;
  usage(projectId: string, userId?: string): Promise<QuotaUsage>;
  /** Sets limits; 400 when a new limit is below current usage unless `force`. */
  update(projectId: string, values: Partial<Record<QuotaResource, number>>, force: boolean): Promise<void>;
  /** The defaults (Nova's `default` quota class): built-in values overridden by the class's stored limits. */
  defaults(): Promise<Record<QuotaResource, number>>;
  /** Sets limits of the `default` quota class (they apply to every project without its own). */
  updateDefaults(values: Partial<Record<QuotaResource, number>>): Promise<void>;
  /** Reverts a project to the defaults. */
  reset(projectId: string): Promise<void>;
  /** Throws Nova's 403 when adding `delta` would exceed a limit. */
  check(projectId: string, delta: Partial<Record<'instances' | 'cores' | 'ram', number>>): Promise<void>;
}

/** The `project_id` under which the `default` quota class's limits are stored (never a real project id). */
const DEFAULT_CLASS = 'quota-class:default';

/** Compute resources whose limit is federation-wide on a federated site (split into per-site escrow shares). */
const ESCROWED = ['instances', 'cores', 'ram'] as const;

/** The note a refusal by the escrow adds to Nova's message: why this site's share does not suffice. */
export function escrowNote(share: number, unreachable: readonly string[]): string {
  const rest =
    unreachable.length > 0
      ? `the rest is held by unreachable sites: ${unreachable.join(', ')}`
      : 'reachable sites have none to spare';
  return ` (this site's share of the federation-wide limit is ${share}; ${rest})`;
}

/**
 * Quotas over the site's SQLite database. On a federated site, `escrow()` returns the quota escrow: instances,
 * cores and ram limits are then federation-wide (set here or at any site) and each site consumes only its share.
 */
export function createQuotas(
  db: SiteDatabase,
  catalog: CatalogStore,
  escrow: () => QuotaEscrow | undefined = () => undefined,
): Quotas {
  const quotas: Quotas = {
    async defaults() {
      const rows = await db.db.select().from(computeQuotas).where(eq(computeQuotas.projectId, DEFAULT_CLASS));
      const out: Record<QuotaResource, number> = { ...DEFAULT_QUOTAS };
      for (const r of rows) if (r.resource in out) out[r.resource as QuotaResource] = r.limit;
      return out;
    },
    async updateDefaults(values) {
      for (const [resource, limit] of Object.entries(values)) {
        await db.db
          .insert(computeQuotas)
          .values({ projectId: DEFAULT_CLASS, resource, limit })
          .onConflictDoUpdate({ target: [computeQuotas.projectId, computeQuotas.resource], set: { limit } });
      }
    },
    async limits(projectId) {
      const rows = await db.db.select().from(computeQuotas).where(eq(computeQuotas.projectId, projectId));
      const out = await quotas.defaults();
      for (const r of rows) if (r.resource in out) out[r.resource as QuotaResource] = r.limit;
      const e = escrow();
      for (const r of e ? ESCROWED : []) out[r] = e?.limitOf(projectId, `compute.${r}`) ?? out[r];
      return out;
    },
    async usage(projectId, userId) {
      const servers = await db.db
        .select({ flavor: computeServers.flavor })
        .from(computeServers)
        .where(and(eq(computeServers.projectId, projectId), isNull(computeServers.deletedAt)));
      const groups = await db.db
        .select({ id: computeServerGroups.id })
        .from(computeServerGroups)
        .where(eq(computeServerGroups.projectId, projectId));
      const usage = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0])) as QuotaUsage;
      usage.instances = servers.length;
      usage.cores = servers.reduce((n, s) => n + s.flavor.vcpus, 0);
      usage.ram = servers.reduce((n, s) => n + s.flavor.ram, 0);
      usage.server_groups = groups.length;
      if (userId) usage.key_pairs = catalog.list('keypairs').filter((k) => k.user_id === userId).length;
      return usage;
    },
    async update(projectId, values, force) {
      const usage = await quotas.usage(projectId);
      for (const [resource, limit] of Object.entries(values) as Array<[QuotaResource, number]>) {
        if (!force && limit >= 0 && limit < usage[resource]) {
          throw badRequest(
            'compute.quota_below_usage',
            `Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${usage[resource]}.`,
          );
        }
      }
      for (const [resource, limit] of Object.entries(values)) {
        await db.db
          .insert(computeQuotas)
          .values({ projectId, resource, limit })
          .onConflictDoUpdate({ target: [computeQuotas.projectId, computeQuotas.resource], set: { limit } });
      }
      const e = escrow();
      for (const [resource, limit] of Object.entries(values)) {
        if (e && (ESCROWED as readonly string[]).includes(resource))
          await e.setLimit(projectId, `compute.${resource}`, limit);
      }
    },
    async reset(projectId) {
      await db.db.delete(computeQuotas).where(eq(computeQuotas.projectId, projectId));
      const e = escrow();
      for (const r of e ? ESCROWED : []) await e?.resetLimit(projectId, `compute.${r}`);
    },
    async check(projectId, delta) {
      const [limits, usage] = await Promise.all([quotas.limits(projectId), quotas.usage(projectId)]);
      for (const resource of ['instances', 'cores', 'ram'] as const) {
        const want = delta[resource] ?? 0;
        const limit = limits[resource];
        if (want > 0 && limit >= 0 && usage[resource] + want > limit) {
          throw new BrumeError(
            'over_quota',
            'compute.quota_exceeded',
            `Quota exceeded for ${resource}: Requested ${want}, but already used ${usage[resource]} of ${limit} ${resource}`,
            { details: { resource, requested: want, used: usage[resource], limit } },
          );
        }
      }
      const e = escrow();
      for (const resource of e ? ESCROWED : []) {
        const want = delta[resource] ?? 0;
        const limit = limits[resource];
        const verdict = await e?.reserve(projectId, `compute.${resource}`, usage[resource], want, limit);
        if (verdict && !verdict.ok) {
          throw new BrumeError(
            'over_quota',
            'compute.quota_exceeded',
            `Quota exceeded for ${resource}: Requested ${want}, but already used ${usage[resource]} of ${limit} ${resource}` +
              escrowNote(verdict.share, verdict.unreachable),
            { details: { resource, requested: want, used: usage[resource], limit, share: verdict.share } },
          );
        }
      }
    },
  };
  return quotas;
}
