/** Security groups: the lazily created `default` group of each project, and group CRUD. No data plane yet. */
import { and, eq, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { ports, securityGroupRules, securityGroups } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owningProject, owns } from './context.ts';
import { conflictOf, policyDenied, securityGroupNotFound } from './errors.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';
import { ruleView } from './security-group-rules.ts';

/** A stored security group. */
export type SecurityGroupRow = typeof securityGroups.$inferSelect;
type RuleRow = typeof securityGroupRules.$inferSelect;

/** Writable attributes of a security group. */
export interface SecurityGroupInput {
  name?: string;
  description?: string;
  stateful?: boolean;
  tags?: string[];
  project_id?: string;
  tenant_id?: string;
}

/** The API form of a group with its rules. */
export function securityGroupView(row: SecurityGroupRow, rules: RuleRow[]): Dict {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    stateful: row.stateful,
    shared: false,
    security_group_rules: rules.map((r) => ruleView(r, row.isDefault)),
    project_id: row.projectId,
    tenant_id: row.projectId,
    tags: row.tags,
    created_at: isoTime(row.createdAt),
    updated_at: isoTime(row.updatedAt),
    revision_number: row.revision,
  };
}

function newRule(ctx: NetCtx, group: SecurityGroupRow, direction: string, ethertype: string, self: boolean): RuleRow {
  return {
    id: ctx.deps.ids.uuid(),
    projectId: group.projectId,
    securityGroupId: group.id,
    direction,
    ethertype,
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    remoteGroupId: self ? group.id : null,
    description: '',
    revision: 0,
    createdAt: group.createdAt,
    updatedAt: group.createdAt,
  };
}

async function insertGroup(ctx: NetCtx, group: SecurityGroupRow): Promise<RuleRow[]> {
  const rules = [newRule(ctx, group, 'egress', 'IPv4', false), newRule(ctx, group, 'egress', 'IPv6', false)];
  if (group.isDefault) {
    rules.push(newRule(ctx, group, 'ingress', 'IPv4', true), newRule(ctx, group, 'ingress', 'IPv6', true));
  }
  await ctx.db.batch([ctx.db.insert(securityGroups).values(group), ctx.db.insert(securityGroupRules).values(rules)]);
  return rules;
}

/**
 * The project's `default` group, created on first need with Neutron's default rules (egress anywhere; ingress from
 * members of the same group), both families. Call with the module lock held.
 */
export async function ensureDefaultGroup(ctx: NetCtx, projectId: string): Promise<SecurityGroupRow> {
  const existing = await ctx.db
    .select()
    .from(securityGroups)
    .where(and(eq(securityGroups.projectId, projectId), eq(securityGroups.isDefault, true)))
    .get();
  if (existing) return existing;
  const now = ctx.deps.clock.now();
  const group: SecurityGroupRow = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: 'default',
    description: 'Default security group',
    tags: [],
    revision: 0,
    createdAt: now,
    updatedAt: now,
    isDefault: true,
    stateful: true,
  };
  await insertGroup(ctx, group);
  return group;
}

/** The group if the caller may see it (own project or admin); 404 otherwise. */
export async function loadSecurityGroup(ctx: NetCtx, auth: AuthContext, id: string): Promise<SecurityGroupRow> {
  const row = await ctx.db.select().from(securityGroups).where(eq(securityGroups.id, id)).get();
  if (!row || !owns(auth, row.projectId)) throw securityGroupNotFound(id);
  return row;
}

async function rulesOf(ctx: NetCtx, groupId?: string): Promise<RuleRow[]> {
  const q = ctx.db.select().from(securityGroupRules);
  return (groupId ? q.where(eq(securityGroupRules.securityGroupId, groupId)) : q).orderBy(sql`rowid`);
}

/** Every group the caller may see, with rules. */
export async function listSecurityGroups(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const groups = (await ctx.db.select().from(securityGroups).orderBy(sql`rowid`)).filter((g) =>
    owns(auth, g.projectId),
  );
  const rules = await rulesOf(ctx);
  return groups.map((g) =>
    securityGroupView(
      g,
      rules.filter((r) => r.securityGroupId === g.id),
    ),
  );
}

/** One group in API form. */
export async function showSecurityGroup(ctx: NetCtx, auth: AuthContext, id: string): Promise<Dict> {
  const row = await loadSecurityGroup(ctx, auth, id);
  return securityGroupView(row, await rulesOf(ctx, id));
}

const defaultExists = () => conflictOf('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');

/** Creates a group (with Neutron's default egress rules). Call with the module lock held. */
export async function createSecurityGroup(ctx: NetCtx, auth: AuthContext, input: SecurityGroupInput): Promise<Dict> {
  const projectId = owningProject(auth, input);
  await ensureDefaultGroup(ctx, projectId);
  if (input.name === 'default') throw defaultExists();
  await checkQuota(ctx, projectId, 'security_group');
  const now = ctx.deps.clock.now();
  const group: SecurityGroupRow = {
    id: ctx.deps.ids.uuid(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    revision: 0,
    createdAt: now,
    updatedAt: now,
    isDefault: false,
    stateful: input.stateful ?? true,
  };
  const rules = await insertGroup(ctx, group);
  return securityGroupView(group, rules);
}

/** Renames/describes a group; the default group keeps its name. */
export async function updateSecurityGroup(
  ctx: NetCtx,
  auth: AuthContext,
  id: string,
  input: SecurityGroupInput,
): Promise<Dict> {
  const row = await loadSecurityGroup(ctx, auth, id);
  if (input.project_id !== undefined || input.tenant_id !== undefined) throw policyDenied('rule:update_security_group');
  if (input.name !== undefined && input.name !== row.name) {
    if (row.isDefault)
      throw conflictOf('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    if (input.name === 'default') throw defaultExists();
  }
  const next: SecurityGroupRow = {
    ...row,
    name: input.name ?? row.name,
    description: input.description ?? row.description,
    tags: input.tags ?? row.tags,
    stateful: input.stateful ?? row.stateful,
    revision: row.revision + 1,
    updatedAt: ctx.deps.clock.now(),
  };
  await ctx.db.update(securityGroups).set(next).where(eq(securityGroups.id, id));
  return securityGroupView(next, await rulesOf(ctx, id));
}

/** Deletes a group; the default group only by an admin, never while a port uses it. */
export async function deleteSecurityGroup(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  const row = await loadSecurityGroup(ctx, auth, id);
  if (row.isDefault && !isAdmin(auth)) {
    throw conflictOf('SecurityGroupCannotRemoveDefault', 'Insufficient rights for removing default security group.');
  }
  const users = await ctx.db.select({ sgs: ports.securityGroups }).from(ports);
  if (users.some((u) => u.sgs.includes(id))) throw conflictOf('SecurityGroupInUse', `Security Group ${id} in use.`);
  // Rules of other groups that name this one as their remote group go with it (Neutron's cascade).
  await ctx.db.batch([
    ctx.db.delete(securityGroupRules).where(eq(securityGroupRules.remoteGroupId, id)),
    ctx.db.delete(securityGroups).where(eq(securityGroups.id, id)),
  ]);
}
