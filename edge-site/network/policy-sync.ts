/**
 * Pushes security groups to the agents that enforce them. After any change that can alter what a host filters (a
 * rule created or deleted, a group deleted, a port's groups or port security updated, a server's ports bound or
 * released, an agent (re)connecting), every host with bound ports gets its full {@link HostNetworkPolicy} as one
 * idempotent `network_policy` command (hosts whose inventory says `networkDataPlane`; others cannot enforce it). Full state, not deltas: a lost or reordered command is healed by the next
 * one (the agent keeps the highest revision), and group membership changes (remote_group_id) need no bookkeeping.
 * Changes are coalesced: while one round is sending, further changes mark it dirty and cause one more round.
 */
import { inArray, ne } from 'drizzle-orm';
import type { HostNetworkPolicy, SecurityGroupSpec, SecurityRuleSpec } from '../../shared/schemas/network-policy.ts';
import { ipAllocations, ports, securityGroupRules } from '../db/schema/network.ts';
import { metadataEndpoint } from '../metadata/secret.ts';
import type { Fleet } from '../services.ts';
import type { NetCtx } from './context.ts';
import { hostRouters } from './router-policy.ts';

/** The part of the fleet the sync needs. */
export type PolicyFleet = Pick<Fleet, 'send' | 'subscribe' | 'host'>;

/** The sync's handle. */
export interface PolicySync {
  /** Something changed: send the policies again (coalesced, in the background). */
  schedule(): void;
  /** Resolves when no round is running or pending (tests, shutdown). */
  settled(): Promise<void>;
  /** Stops reacting to agent reconnects. */
  stop(): void;
}

/** The policy of one host's ports, from the site's database. */
export async function hostPolicy(ctx: NetCtx, host: string, revision: number): Promise<HostNetworkPolicy> {
  const all = await ctx.db.select().from(ports).where(ne(ports.hostId, ''));
  const mine = all.filter((p) => p.hostId === host);
  const portGroups = new Set(mine.flatMap((p) => (p.portSecurityEnabled ? p.securityGroups : [])));
  const rules =
    portGroups.size === 0
      ? []
      : await ctx.db
          .select()
          .from(securityGroupRules)
          .where(inArray(securityGroupRules.securityGroupId, [...portGroups]));
  const wanted = new Set([...portGroups, ...rules.flatMap((r) => (r.remoteGroupId ? [r.remoteGroupId] : []))]);
  // Members of a group are its ports' addresses, wherever they are bound (or not bound at all yet).
  const everyPort = await ctx.db.select().from(ports);
  const memberPorts = everyPort.filter((p) => p.securityGroups.some((g) => wanted.has(g)));
  const addresses =
    memberPorts.length === 0
      ? []
      : await ctx.db
          .select()
          .from(ipAllocations)
          .where(
            inArray(
              ipAllocations.portId,
              memberPorts.map((p) => p.id),
            ),
          );
  const byPort = new Map<string, string[]>();
  for (const a of addresses) byPort.set(a.portId, [...(byPort.get(a.portId) ?? []), a.ipAddress]);
  const groups: SecurityGroupSpec[] = [...wanted].sort().map((id) => ({
    id,
    rules: rules
      .filter((r) => r.securityGroupId === id)
      .map(
        (r): SecurityRuleSpec => ({
          direction: r.direction === 'egress' ? 'egress' : 'ingress',
          ethertype: r.ethertype === 'IPv6' ? 'IPv6' : 'IPv4',
          protocol: r.protocol,
          portMin: r.portRangeMin,
          portMax: r.portRangeMax,
          remoteIpPrefix: r.remoteIpPrefix,
          remoteGroupId: r.remoteGroupId,
        }),
      ),
    members: memberPorts.filter((p) => p.securityGroups.includes(id)).flatMap((p) => byPort.get(p.id) ?? []),
  }));
  return {
    revision,
    ports: Object.fromEntries(
      mine.map((p) => [p.id, { securityGroups: p.securityGroups, portSecurity: p.portSecurityEnabled }]),
    ),
    groups,
    routers: await hostRouters(ctx, host, new Set(mine.map((p) => p.networkId))),
  };
}

/** Starts the sync (a no-op without a fleet: in-process tests of the API alone). */
export function createPolicySync(ctx: NetCtx, fleet: PolicyFleet | undefined): PolicySync {
  const log = ctx.deps.log.child({ module: 'network', part: 'policy-sync' });
  let dirty = false;
  let running: Promise<void> | null = null;
  let lastRevision = 0;

  const round = async () => {
    if (!fleet) return;
    const bound = await ctx.db.select({ hostId: ports.hostId }).from(ports).where(ne(ports.hostId, ''));
    // Only hosts that enforce policies (a data plane): fake-driver fleets of thousands of VMs get no traffic.
    const hosts = [...new Set(bound.map((b) => b.hostId))].filter((h) => fleet.host(h)?.inventory.networkDataPlane);
    // Revisions grow across site restarts too (time based), and strictly within one process.
    lastRevision = Math.max(lastRevision + 1, ctx.deps.clock.now());
    const revision = lastRevision;
    await Promise.all(
      hosts.map(async (host) => {
        try {
          // The host's metadata relay learns where to ask and the secret to sign with along with its policy.
          const policy = {
            ...(await hostPolicy(ctx, host, revision)),
            metadata: await metadataEndpoint(ctx.deps.config),
          };
          await fleet.send(host, { op: 'network_policy', policy }, { requestId: `network_policy:${host}:${revision}` });
        } catch (err) {
          // A host that is down gets everything when it reconnects (the `inventory` event below).
          log.debug({ host, err: (err as Error).message }, 'security policy not delivered');
        }
      }),
    );
  };
  const loop = async () => {
    while (dirty) {
      dirty = false;
      await round().catch((err: unknown) => log.error({ err }, 'security policy round failed'));
    }
  };
  const schedule = () => {
    dirty = true;
    running ??= loop().finally(() => {
      running = null;
    });
  };
  const unsubscribe = fleet?.subscribe((event) => {
    if (event.type === 'inventory') schedule();
  });

  return {
    schedule,
    async settled() {
      while (running) await running;
    },
    stop: () => unsubscribe?.(),
  };
}
