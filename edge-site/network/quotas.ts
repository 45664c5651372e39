/**
 * Neutron quotas: per-project limits with Neutron's defaults, overridden by rows of net_quotas, enforced on create
 * (409 OverQuota). Usage is counted from the resource tables at check time: every write holds the module lock, so
 * the count cannot move between the check and the insert.
 */
import { and, count, eq } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import {
  floatingIps,
  networks,
  ports,
  quotas,
  routers,
  securityGroupRules,
  securityGroups,
  subnets,
} from '../db/schema/network.ts';
import type { NetCtx } from './context.ts';
import { badAttribute, conflictOf, policyDenied } from './errors.ts';
import type { Dict } from './query.ts';

/** Neutron's default limits (neutron.conf [quotas]); -1 means unlimited. */
export const DEFAULT_QUOTAS = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
} as const;

/** A resource with a quota. */
export type QuotaResource = keyof typeof DEFAULT_QUOTAS;
const RESOURCES = Object.keys(DEFAULT_QUOTAS) as QuotaResource[];

/** True when `name` is a resource with a quota. */
export function isQuotaResource(name: string): name is QuotaResource {
  return name in DEFAULT_QUOTAS;
}

const COUNTED: Record<QuotaResource, [SQLiteTable, SQLiteColumn]> = {
  network: [networks, networks.projectId],
  subnet: [subnets, subnets.projectId],
  port: [ports, ports.projectId],
  router: [routers, routers.projectId],
  floatingip: [floatingIps, floatingIps.projectId],
  security_group: [securityGroups, securityGroups.projectId],
  security_group_rule: [securityGroupRules, securityGroupRules.projectId],
};

async function overrides(ctx: NetCtx, projectId: string): Promise<Map<string, number>> {
  const rows = await ctx.db.select().from(quotas).where(eq(quotas.projectId, projectId));
  return new Map(rows.map((r) => [r.resource, r.limit]));
}

/** A project's limits: defaults with its overrides applied (federation-wide ones first on a federated site). */
export async function limitsOf(ctx: NetCtx, projectId: string): Promise<Record<QuotaResource, number>> {
  const o = await overrides(ctx, projectId);
  const e = ctx.deps.quotaEscrow;
  return Object.fromEntries(
    RESOURCES.map((r) => [r, e?.limitOf(projectId, `network.${r}`) ?? o.get(r) ?? DEFAULT_QUOTAS[r]]),
  ) as Record<QuotaResource, number>;
}

async function usage(ctx: NetCtx, projectId: string, resource: QuotaResource): Promise<number> {
  const [t, col] = COUNTED[resource];
  const row = await ctx.db.select({ n: count() }).from(t).where(eq(col, projectId)).get();
  return row?.n ?? 0;
}

/** Throws 409 OverQuota when `projectId` cannot have `more` additional `resource`s (call with the lock held). */
export async function checkQuota(ctx: NetCtx, projectId: string, resource: QuotaResource, more = 1): Promise<void> {
  const row = await ctx.db
    .select()
    .from(quotas)
    .where(and(eq(quotas.projectId, projectId), eq(quotas.resource, resource)))
    .get();
  const e = ctx.deps.quotaEscrow;
  const limit = e?.limitOf(projectId, `network.${resource}`) ?? row?.limit ?? DEFAULT_QUOTAS[resource];
  if (limit < 0) return;
  const used = await usage(ctx, projectId, resource);
  if (used + more > limit) {
    throw conflictOf('OverQuota', `Quota exceeded for resources: ['${resource}'].`);
  }
  // Federated: the limit is federation-wide and this site consumes only its escrow share (federation/quota).
  const verdict = await e?.reserve(projectId, `network.${resource}`, used, more, limit);
  if (verdict && !verdict.ok) {
    const rest =
      verdict.unreachable.length > 0
        ? `the rest is held by unreachable sites: ${verdict.unreachable.join(', ')}`
        : 'reachable sites have none to spare';
    throw conflictOf(
      'OverQuota',
      `Quota exceeded for resources: ['${resource}']. This site's share of the federation-wide limit is ${verdict.share}; ${rest}.`,
    );
  }
}

function mayRead(auth: AuthContext, projectId: string): void {
  if (!isAdmin(auth) && auth.project?.id !== projectId) {
    throw policyDenied('rule:get_quota');
  }
}

/** `GET /quotas/{project}`: the project's limits. */
export async function showQuota(ctx: NetCtx, auth: AuthContext, projectId: string): Promise<Dict> {
  mayRead(auth, projectId);
  return limitsOf(ctx, projectId);
}

/** `GET /quotas/{project}/default`. */
export function defaultQuota(auth: AuthContext, projectId: string): Dict {
  mayRead(auth, projectId);
  return { ...DEFAULT_QUOTAS };
}

/** `GET /quotas/{project}/details.json`: limit, used and reserved per resource. */
export async function quotaDetails(ctx: NetCtx, auth: AuthContext, projectId: string): Promise<Dict> {
  mayRead(auth, projectId);
  const limits = await limitsOf(ctx, projectId);
  const out: Dict = {};
  for (const r of RESOURCES) out[r] = { limit: limits[r], used: await usage(ctx, projectId, r), reserved: 0 };
  return out;
}

/** `GET /quotas` (admin): every project with at least one non-default limit. */
export async function listQuotas(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  if (!isAdmin(auth)) throw policyDenied('rule:get_quota');
  const projects = [...new Set((await ctx.db.select({ p: quotas.projectId }).from(quotas)).map((r) => r.p))];
  const out: Dict[] = [];
  for (const p of projects.sort()) out.push({ ...(await limitsOf(ctx, p)), project_id: p, tenant_id: p });
  return out;
}

/** `PUT /quotas/{project}` (admin): sets limits (integers >= -1) of the named resources. */
export async function updateQuota(
  ctx: NetCtx,
  auth: AuthContext,
  projectId: string,
  input: Record<string, unknown>,
): Promise<Dict> {
  if (!isAdmin(auth)) throw policyDenied('rule:update_quota');
  const rows: Array<{ projectId: string; resource: string; limit: number }> = [];
  for (const [k, raw] of Object.entries(input)) {
    if (!isQuotaResource(k)) throw badAttribute(k, `Unrecognized attribute(s) '${k}'`);
    const v = typeof raw === 'string' && /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -1) {
      throw badAttribute(k, `'${String(raw)}' is not an integer greater than or equal to -1`);
    }
    rows.push({ projectId, resource: k, limit: v });
  }
  for (const r of rows) {
    await ctx.db
      .insert(quotas)
      .values(r)
      .onConflictDoUpdate({ target: [quotas.projectId, quotas.resource], set: { limit: r.limit } });
    await ctx.deps.quotaEscrow?.setLimit(projectId, `network.${r.resource}`, r.limit);
  }
  return limitsOf(ctx, projectId);
}

/** `DELETE /quotas/{project}` (admin): back to the defaults. */
export async function resetQuota(ctx: NetCtx, auth: AuthContext, projectId: string): Promise<void> {
  if (!isAdmin(auth)) throw policyDenied('rule:delete_quota');
  await ctx.db.delete(quotas).where(eq(quotas.projectId, projectId));
  for (const r of ctx.deps.quotaEscrow ? RESOURCES : []) {
    await ctx.deps.quotaEscrow?.resetLimit(projectId, `network.${r}`);
  }
}
