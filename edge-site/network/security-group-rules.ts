/** Security group rules: Neutron's validation (protocols by name or number, port ranges, ICMP type/code). */
import { eq, sql } from 'drizzle-orm';
import type { AuthContext } from '../api/env.ts';
import { securityGroupRules, securityGroups } from '../db/schema/network.ts';
import { isoTime, type NetCtx, owns } from './context.ts';
import { badAttribute, badRequestTyped, conflictOf, policyDenied, securityGroupRuleNotFound } from './errors.ts';
import { formatCidr, parseCidr } from './ip.ts';
import type { Dict } from './query.ts';
import { checkQuota } from './quotas.ts';
import { loadSecurityGroup } from './security-groups.ts';

type RuleRow = typeof securityGroupRules.$inferSelect;

/** Writable attributes of a rule (create only: rules are immutable but for their description). */
export interface RuleInput {
  security_group_id?: string;
  direction?: string;
  ethertype?: string;
  protocol?: string | number | null;
  port_range_min?: number | null;
  port_range_max?: number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  remote_address_group_id?: string | null;
  description?: string;
  project_id?: string;
  tenant_id?: string;
}

/** The API form of a rule. */
export function ruleView(r: RuleRow, belongsToDefault = false): Dict {
  const normalized = r.remoteIpPrefix ? parseCidr(r.remoteIpPrefix, false) : null;
  return {
    id: r.id,
    security_group_id: r.securityGroupId,
    direction: r.direction,
    ethertype: r.ethertype,
    protocol: r.protocol,
    port_range_min: r.portRangeMin,
    port_range_max: r.portRangeMax,
    remote_ip_prefix: r.remoteIpPrefix,
    normalized_cidr: normalized?.ok ? formatCidr(normalized.cidr) : null,
    remote_group_id: r.remoteGroupId,
    remote_address_group_id: null,
    belongs_to_default_sg: belongsToDefault,
    description: r.description,
    project_id: r.projectId,
    tenant_id: r.projectId,
    created_at: isoTime(r.createdAt),
    updated_at: isoTime(r.updatedAt),
    revision_number: r.revision,
  };
}

/** IANA protocol names Neutron accepts, with their numbers. */
const PROTOCOLS: Record<string, number> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
const PORT_PROTOCOLS = new Set([6, 17, 132, 33, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

function protocolNumber(p: string): number {
  if (p in PROTOCOLS) return PROTOCOLS[p] ?? -1;
  if (/^[0-9]{1,3}$/.test(p) && Number(p) <= 255) return Number(p);
  throw badRequestTyped(
    'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${p} not supported. Only protocol values [${Object.keys(PROTOCOLS).join(', ')}, None] and integer representations [0 to 255] are supported.`,
  );
}

function checkPorts(protocol: string | null, min: number | null, max: number | null): void {
  if (min === null && max === null) return;
  if (protocol === null) {
    throw badRequestTyped(
      'SecurityGroupProtocolRequiredWithPorts',
      'Must also specify protocol if port range is given.',
    );
  }
  const n = protocolNumber(protocol);
  if (PORT_PROTOCOLS.has(n)) {
    for (const v of [min, max]) {
      if (v !== null && (v < 1 || v > 65535)) {
        throw badRequestTyped('SecurityGroupInvalidPortValue', `Invalid value for port ${v}`);
      }
    }
    if (min === null || max === null || min > max) {
      throw badRequestTyped(
        'SecurityGroupInvalidPortRange',
        'For TCP/UDP protocols, port_range_min must be <= port_range_max',
      );
    }
  } else if (ICMP_PROTOCOLS.has(n)) {
    if (min === null && max !== null) {
      throw badRequestTyped(
        'SecurityGroupMissingIcmpType',
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`,
      );
    }
    for (const [field, attr, v] of [
      ['type', 'port_range_min', min],
      ['code', 'port_range_max', max],
    ] as const) {
      if (v !== null && (v < 0 || v > 255)) {
        throw badRequestTyped(
          'SecurityGroupInvalidIcmpValue',
          `Invalid value for ICMP ${field} (${attr}) ${v}. It must be 0 to 255.`,
        );
      }
    }
  } else {
    throw badRequestTyped(
      'SecurityGroupInvalidProtocolForPortRange',
      `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`,
    );
  }
}

const anyPrefix = (p: string | null) => (p === '0.0.0.0/0' || p === '::/0' ? null : p);

/** Validates and stores a rule; 409 SecurityGroupRuleExists for a duplicate. */
export async function createRule(ctx: NetCtx, auth: AuthContext, input: RuleInput): Promise<Dict> {
  if (!input.security_group_id) throw badAttribute('security_group_id', "'None' is not a valid UUID");
  const group = await loadSecurityGroup(ctx, auth, input.security_group_id);
  await checkQuota(ctx, group.projectId, 'security_group_rule');
  const direction = input.direction;
  if (direction !== 'ingress' && direction !== 'egress') {
    throw badAttribute('direction', `'${direction}' is not in ['ingress', 'egress']`);
  }
  const ethertype = input.ethertype ?? 'IPv4';
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') {
    throw badRequestTyped(
      'SecurityGroupRuleInvalidEtherType',
      `Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
    );
  }
  const protocol = input.protocol == null || input.protocol === 'any' ? null : String(input.protocol).toLowerCase();
  if (protocol !== null) protocolNumber(protocol);
  const min = input.port_range_min ?? null;
  const max = input.port_range_max ?? null;
  checkPorts(protocol, min, max);
  let prefix = input.remote_ip_prefix ?? null;
  if (prefix !== null) {
    const parsed = parseCidr(prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`, false);
    if (!parsed.ok) throw badAttribute('remote_ip_prefix', `'${prefix}' is not a valid IP subnet`);
    if ((parsed.cidr.version === 4) !== (ethertype === 'IPv4')) {
      throw badRequestTyped(
        'SecurityGroupRuleParameterConflict',
        `Conflicting value ethertype ${ethertype} for CIDR ${prefix}`,
      );
    }
    prefix = prefix.includes('/') ? prefix : formatCidr(parsed.cidr);
  }
  const remoteGroup = input.remote_group_id ?? null;
  if (remoteGroup !== null && prefix !== null) {
    throw badRequestTyped(
      'SecurityGroupRemoteGroupAndRemoteIpPrefix',
      'Only remote_ip_prefix or remote_group_id may be provided.',
    );
  }
  if (remoteGroup !== null) await loadSecurityGroup(ctx, auth, remoteGroup);
  if (input.project_id !== undefined && input.project_id !== group.projectId && !owns(auth, input.project_id)) {
    throw policyDenied('rule:create_security_group_rule');
  }
  const existing = await ctx.db
    .select()
    .from(securityGroupRules)
    .where(eq(securityGroupRules.securityGroupId, group.id));
  const dup = existing.find(
    (r) =>
      r.direction === direction &&
      r.ethertype === ethertype &&
      r.protocol === protocol &&
      r.portRangeMin === min &&
      r.portRangeMax === max &&
      anyPrefix(r.remoteIpPrefix) === anyPrefix(prefix) &&
      r.remoteGroupId === remoteGroup,
  );
  if (dup) {
    throw conflictOf('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${dup.id}.`);
  }
  const now = ctx.deps.clock.now();
  const row: RuleRow = {
    id: ctx.deps.ids.uuid(),
    projectId: group.projectId,
    securityGroupId: group.id,
    direction,
    ethertype,
    protocol,
    portRangeMin: min,
    portRangeMax: max,
    remoteIpPrefix: prefix,
    remoteGroupId: remoteGroup,
    description: input.description ?? '',
    revision: 0,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.db.insert(securityGroupRules).values(row);
  await ctx.db
    .update(securityGroups)
    .set({ revision: group.revision + 1, updatedAt: now })
    .where(eq(securityGroups.id, group.id));
  return ruleView(row, group.isDefault);
}

async function loadRule(ctx: NetCtx, auth: AuthContext, id: string): Promise<{ rule: RuleRow; isDefault: boolean }> {
  const rule = await ctx.db.select().from(securityGroupRules).where(eq(securityGroupRules.id, id)).get();
  if (!rule || !owns(auth, rule.projectId)) throw securityGroupRuleNotFound(id);
  const g = await ctx.db.select().from(securityGroups).where(eq(securityGroups.id, rule.securityGroupId)).get();
  return { rule, isDefault: g?.isDefault ?? false };
}

/** One rule in API form. */
export async function showRule(ctx: NetCtx, auth: AuthContext, id: string): Promise<Dict> {
  const { rule, isDefault } = await loadRule(ctx, auth, id);
  return ruleView(rule, isDefault);
}

/** Every rule the caller may see. */
export async function listRules(ctx: NetCtx, auth: AuthContext): Promise<Dict[]> {
  const defaults = new Set((await ctx.db.select().from(securityGroups)).filter((g) => g.isDefault).map((g) => g.id));
  const rows = await ctx.db.select().from(securityGroupRules).orderBy(sql`rowid`);
  return rows.filter((r) => owns(auth, r.projectId)).map((r) => ruleView(r, defaults.has(r.securityGroupId)));
}

/** Deletes a rule. */
export async function deleteRule(ctx: NetCtx, auth: AuthContext, id: string): Promise<void> {
  await loadRule(ctx, auth, id);
  await ctx.db.delete(securityGroupRules).where(eq(securityGroupRules.id, id));
}
