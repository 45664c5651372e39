/**
 * Nova's security group proxy (deprecated since 2.36, still used by clients and Tempest): `/os-security-groups`,
 * `/os-security-group-rules`, `/servers/{id}/os-security-groups`, rendered in Nova's shape from the site's Neutron.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import { isUuidLike } from '../../../shared/ports/ids.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import { neutron } from '../../compute/neutron-proxy.ts';
import type { ServerRow } from '../../compute/servers/store.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin, requireRole } from '../policy.ts';
import { loadServer } from './server-common.ts';

/** Neutron's security group rule, as far as Nova reads it. */
export interface NeutronRule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}
export interface NeutronGroup {
  id: string;
  name: string;
  description: string;
  tenant_id?: string;
  project_id?: string;
  security_group_rules?: NeutronRule[];
}

/** Nova's rendering of an ingress rule (`groups` resolves remote group names). */
export function ruleView(r: NeutronRule, groups: Map<string, NeutronGroup>) {
  const proto = r.protocol;
  const icmp = proto === 'icmp';
  const remote = r.remote_group_id ? groups.get(r.remote_group_id) : undefined;
  return {
    id: r.id,
    parent_group_id: r.security_group_id,
    ip_protocol: proto,
    from_port: r.port_range_min ?? (proto === null ? null : icmp ? -1 : 1),
    to_port: r.port_range_max ?? (proto === null ? null : icmp ? -1 : 65535),
    group: remote ? { name: remote.name, tenant_id: remote.tenant_id ?? remote.project_id ?? '' } : {},
    ip_range: r.remote_group_id ? {} : { cidr: r.remote_ip_prefix ?? (r.ethertype === 'IPv6' ? '::/0' : '0.0.0.0/0') },
  };
}

export function groupView(g: NeutronGroup, groups: Map<string, NeutronGroup>) {
  return {
    id: g.id,
    name: g.name,
    description: g.description ?? '',
    tenant_id: g.tenant_id ?? g.project_id ?? '',
    rules: (g.security_group_rules ?? []).filter((r) => r.direction === 'ingress').map((r) => ruleView(r, groups)),
  };
}

const text255 = z.string().max(255);
const groupBody = z.object({
  security_group: z.object({
    name: text255.refine((s) => s.trim() !== '', 'Invalid input: the name must not be blank'),
    description: text255,
  }),
});
const port = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().min(-1).max(65535));
const ruleBody = z.object({
  security_group_rule: z.object({
    parent_group_id: z.union([z.string(), z.number()]).transform(String),
    ip_protocol: z.string().nullable().optional(),
    from_port: port.nullable().optional(),
    to_port: port.nullable().optional(),
    cidr: z.string().nullable().optional(),
    group_id: z.union([z.string(), z.number()]).transform(String).nullable().optional(),
  }),
});

/** 404 from 2.36 (the proxy APIs are gone there); 400 for ids Neutron could never have. */
function proxyOnly(c: Context<AppEnv>) {
  if (atLeast(c, 36)) throw notFound('api.route_not_found', 'The resource could not be found.');
}
function checkId(id: string) {
  if (!isUuidLike(id)) throw badRequest('compute.invalid_security_group_id', `Invalid security group id ${id}.`);
}

async function allGroups(c: Context<AppEnv>): Promise<Map<string, NeutronGroup>> {
  const r = await neutron<{ security_groups: NeutronGroup[] }>(c, 'GET', '/security-groups');
  return new Map(r.security_groups.map((g) => [g.id, g]));
}

/** `/os-security-groups` (mounted there). */
export function securityGroupRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    proxyOnly(c);
    const groups = await allGroups(c);
    const project = c.var.auth.project?.id;
    const all = isAdmin(c.var.auth) && ['1', 'true', 'True'].includes(c.req.query('all_tenants') ?? '');
    const mine = [...groups.values()].filter((g) => all || (g.tenant_id ?? g.project_id) === project);
    return c.json({ security_groups: mine.map((g) => groupView(g, groups)) });
  });
  app.get('/:id', async (c) => {
    proxyOnly(c);
    checkId(c.req.param('id'));
    const { security_group: g } = await neutron<{ security_group: NeutronGroup }>(
      c,
      'GET',
      `/security-groups/${c.req.param('id')}`,
    );
    return c.json({ security_group: groupView(g, await allGroups(c)) });
  });
  app.post('/', async (c) => {
    proxyOnly(c);
    requireRole(c.var.auth, 'member', 'os_compute_api:os-security-groups:create');
    const { security_group: b } = await jsonBody(c, groupBody);
    const { security_group: g } = await neutron<{ security_group: NeutronGroup }>(c, 'POST', '/security-groups', {
      security_group: { name: b.name, description: b.description },
    });
    return c.json({ security_group: groupView(g, await allGroups(c)) });
  });
  app.put('/:id', async (c) => {
    proxyOnly(c);
    requireRole(c.var.auth, 'member', 'os_compute_api:os-security-groups:update');
    checkId(c.req.param('id'));
    const { security_group: b } = await jsonBody(c, groupBody);
    const { security_group: g } = await neutron<{ security_group: NeutronGroup }>(
      c,
      'PUT',
      `/security-groups/${c.req.param('id')}`,
      { security_group: { name: b.name, description: b.description } },
    );
    return c.json({ security_group: groupView(g, await allGroups(c)) });
  });
  app.delete('/:id', async (c) => {
    proxyOnly(c);
    requireRole(c.var.auth, 'member', 'os_compute_api:os-security-groups:delete');
    checkId(c.req.param('id'));
    await neutron(c, 'DELETE', `/security-groups/${c.req.param('id')}`);
    return c.body(null, 202);
  });
  return app;
}

/** `/os-security-group-rules` (mounted there). */
export function securityGroupRuleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/', async (c) => {
    proxyOnly(c);
    requireRole(c.var.auth, 'member', 'os_compute_api:os-security-groups:create');
    const { security_group_rule: b } = await jsonBody(c, ruleBody);
    checkId(b.parent_group_id);
    if (b.group_id) checkId(b.group_id);
    const proto = b.ip_protocol?.toLowerCase() ?? null;
    if (proto !== null && !['tcp', 'udp', 'icmp'].includes(proto)) {
      throw badRequest('compute.invalid_protocol', `Invalid IP protocol ${b.ip_protocol}.`);
    }
    const from = b.from_port ?? null;
    const to = b.to_port ?? null;
    if (proto === 'tcp' || proto === 'udp') {
      if (from === null || to === null || from < 1 || to < 1 || from > to) {
        throw badRequest('compute.invalid_port_range', `Invalid port range ${from}:${to}.`);
      }
    } else if (proto === 'icmp') {
      if ((from !== null && (from < -1 || from > 255)) || (to !== null && (to < -1 || to > 255))) {
        throw badRequest('compute.invalid_port_range', `Invalid ICMP type/code ${from}:${to}.`);
      }
    }
    const parent = await neutron<{ security_group: NeutronGroup }>(c, 'GET', `/security-groups/${b.parent_group_id}`);
    const icmp = proto === 'icmp';
    const rule = {
      security_group_id: parent.security_group.id,
      direction: 'ingress',
      ethertype: b.cidr?.includes(':') ? 'IPv6' : 'IPv4',
      protocol: proto,
      port_range_min: icmp ? (from === -1 ? null : from) : from,
      port_range_max: icmp ? (to === -1 ? null : to) : to,
      ...(b.group_id ? { remote_group_id: b.group_id } : { remote_ip_prefix: b.cidr ?? '0.0.0.0/0' }),
    };
    const { security_group_rule: r } = await neutron<{ security_group_rule: NeutronRule }>(
      c,
      'POST',
      '/security-group-rules',
      { security_group_rule: rule },
    );
    return c.json({ security_group_rule: ruleView(r, await allGroups(c)) });
  });
  app.delete('/:id', async (c) => {
    proxyOnly(c);
    requireRole(c.var.auth, 'member', 'os_compute_api:os-security-groups:delete');
    const id = c.req.param('id');
    if (!isUuidLike(id)) throw notFound('compute.security_group_rule_not_found', `Rule ${id} could not be found.`);
    await neutron(c, 'DELETE', `/security-group-rules/${id}`);
    return c.body(null, 202);
  });
  return app;
}

/** `/servers/{id}/os-security-groups` (mounted at `/servers`). */
export function serverSecurityGroupRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/:id/os-security-groups', async (c) => {
    proxyOnly(c);
    const row = await loadServer(ctx, c, c.req.param('id'));
    const groups = await allGroups(c);
    const ids = new Set<string>();
    for (const p of await ctx.services.network.portsOfServer(row.id)) {
      const port = await neutron<{ port: { security_groups?: string[] } }>(c, 'GET', `/ports/${p.portId}`);
      for (const g of port.port.security_groups ?? []) ids.add(g);
    }
    const list = [...ids].flatMap((id) => {
      const g = groups.get(id);
      return g ? [groupView(g, groups)] : [];
    });
    return c.json({ security_groups: list });
  });
  return app;
}

/** addSecurityGroup / removeSecurityGroup: updates the server's ports in Neutron and its recorded group names. */
export async function changeServerSecurityGroup(
  ctx: ComputeContext,
  c: Context<AppEnv>,
  row: ServerRow,
  arg: unknown,
  add: boolean,
): Promise<void> {
  const name =
    typeof arg === 'object' && arg !== null && 'name' in arg && typeof arg.name === 'string' ? arg.name.trim() : '';
  if (name === '') throw badRequest('api.invalid_body', 'Security group name cannot be empty');
  const groups = [...(await allGroups(c)).values()];
  const project = row.projectId;
  const g =
    groups.find((x) => x.name === name && (x.tenant_id ?? x.project_id) === project) ??
    groups.find((x) => x.id === name);
  if (!g)
    throw notFound('compute.security_group_not_found', `Security group ${name} not found for project ${project}.`);
  const ports = await ctx.services.network.portsOfServer(row.id);
  let present = false;
  for (const p of ports) {
    const { port } = await neutron<{ port: { security_groups?: string[] } }>(c, 'GET', `/ports/${p.portId}`);
    const current = port.security_groups ?? [];
    if (current.includes(g.id)) present = true;
    const next = add ? [...new Set([...current, g.id])] : current.filter((x) => x !== g.id);
    if (next.length !== current.length) {
      await neutron(c, 'PUT', `/ports/${p.portId}`, { port: { security_groups: next } });
    }
  }
  const named = row.securityGroups.includes(g.name);
  if (!add && !present && !named) {
    throw badRequest(
      'compute.security_group_not_on_instance',
      `Security group ${name} not associated with the instance ${row.id}`,
    );
  }
  const names = add ? [...new Set([...row.securityGroups, g.name])] : row.securityGroups.filter((n) => n !== g.name);
  await ctx.store.update(row.id, { securityGroups: names, updatedAt: ctx.deps.clock.now() });
}
