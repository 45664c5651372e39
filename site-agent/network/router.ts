/**
 * The routers of one agent host, like Neutron's L3 agent: a namespace per router (inside the host's namespace
 * family, see router-names.ts) with IP forwarding on, a `qr-` leg into each attached subnet's bridge holding the
 * subnet's gateway address, a `qg-` leg into the external network's bridge holding the gateway port's and the
 * floating IPs' addresses with the default route, and the NAT table of nat.ts. A per-router namespace keeps the
 * host namespace free of forwarding (networks not joined by a router stay isolated), lets two routers serve
 * overlapping subnets, and keeps security groups where they are: routed frames still cross the bridges, where the
 * host's ruleset filters the taps. An external network's bridge gets an uplink veth into the provider bridge
 * (`[namespace:]bridge`, Neutron's bridge_mappings) when one is configured. `sync` is idempotent and converges the
 * kernel state to the specs, whatever is there (after an agent restart too).
 */
import type { Logger } from '../../shared/ports/logger.ts';
import type { RouterLegSpec, RouterSpec } from '../../shared/schemas/network-policy.ts';
import { bridgeName } from './names.ts';
import { networkOf, renderNat } from './nat.ts';
import {
  gatewayName,
  gatewayPeerName,
  legName,
  legPeerName,
  routerNamespace,
  routerNamespacePrefix,
  safeId,
  uplinkName,
  uplinkPeerName,
} from './router-names.ts';
import { alreadyGone, alreadyThere, inNs, sh } from './sh.ts';

/** Where external networks are plugged (`namespace` unset: the root namespace). */
export interface ProviderBridge {
  namespace?: string;
  bridge: string;
}

/** Parses `[namespace:]bridge` (the agent option). */
export function parseProviderBridge(text: string | undefined): ProviderBridge | undefined {
  if (!text) return undefined;
  const [a = '', b] = text.split(':');
  return b === undefined ? { bridge: a } : { namespace: a, bridge: b };
}

/** A host's routers. */
export interface RouterPlumbing {
  /**
   * Makes the host's routers exactly those of `routers` that have a leg into one of `localNetworks` (the networks
   * with a bridge here); other router namespaces and unused uplinks go. A router that cannot be plumbed (say, a
   * provider bridge that does not exist) is logged and left for the next sync, without holding up the others or
   * the ports: resolves false then.
   */
  sync(routers: RouterSpec[], localNetworks: Set<string>): Promise<boolean>;
  /** Removes every router namespace of the host (the uplinks go with the host namespace). */
  removeAll(): Promise<void>;
}

const ignore = (p: Promise<unknown>, ok: (err: unknown) => boolean) =>
  p.then(
    () => undefined,
    (err: unknown) => {
      if (!ok(err)) throw err;
    },
  );

/**
 * Announces `ip` on `dev` (gratuitous ARP, as Neutron's L3 agent does): guests that cached the gateway's old MAC (the
 * bridge's, before a router took the address, or the other way round) switch at once instead of after their ARP
 * timeout. Best effort (busybox's arping).
 */
export async function announce(ns: string, dev: string, ip: string): Promise<void> {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return;
  await inNs(ns, 'busybox', ['arping', '-U', '-c', '1', '-w', '0', '-I', dev, ip]).catch(() => undefined);
}

/** The routers a host plumbs: those with a leg into one of its networks. */
export const routersHere = (routers: RouterSpec[], localNetworks: Set<string>) =>
  routers.filter((r) => r.interfaces.some((l) => localNetworks.has(l.networkId)));

/** Gateway addresses that routers hold on `networkId` here (the bridge must then take another address). */
export function routedGateways(routers: RouterSpec[], localNetworks: Set<string>, networkId: string): Set<string> {
  return new Set(
    routersHere(routers, localNetworks).flatMap((r) =>
      r.interfaces.filter((l) => l.networkId === networkId).flatMap((l) => l.ips.map((ip) => ip.split('/')[0] ?? ip)),
    ),
  );
}

/** Builds the router plumbing of the host namespace `hostNs`. */
export function createRouterPlumbing(opts: { hostNs: string; provider?: ProviderBridge; log: Logger }): RouterPlumbing {
  const { hostNs, provider, log } = opts;

  const namespaces = async () =>
    (await sh('ip', ['netns', 'list'])).split('\n').flatMap((l) => (l.trim() ? [l.split(' ')[0] ?? ''] : []));
  const linksIn = async (ns: string) =>
    (JSON.parse(await inNs(ns, 'ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname);

  /** Makes `dev`'s addresses exactly `wanted` (link-local aside); announces the ones it added (or all). */
  async function setAddresses(ns: string, dev: string, wanted: string[], announceAll: boolean): Promise<void> {
    const shown = JSON.parse(await inNs(ns, 'ip', ['-j', 'addr', 'show', 'dev', dev])) as Array<{
      addr_info?: Array<{ family: string; local: string; prefixlen: number; scope?: string }>;
    }>;
    const have = (shown[0]?.addr_info ?? [])
      .filter((a) => a.scope !== 'link' && (a.family === 'inet' || a.family === 'inet6'))
      .map((a) => `${a.local}/${a.prefixlen}`);
    for (const a of have) if (!wanted.includes(a)) await inNs(ns, 'ip', ['addr', 'del', a, 'dev', dev]);
    for (const a of wanted) {
      const added = !have.includes(a);
      if (added) await inNs(ns, 'ip', ['addr', 'replace', a, 'dev', dev]);
      if (added || announceAll) await announce(ns, dev, a.split('/')[0] ?? '');
    }
  }

  /** A veth from the router namespace (`inner`) to a bridge of the host namespace (`outer`). */
  async function ensureLeg(
    rns: string,
    inner: string,
    outer: string,
    bridge: string,
    leg: RouterLegSpec,
    extra: string[],
  ) {
    const innerThere = (await linksIn(rns)).includes(inner);
    if (!innerThere) {
      await ignore(inNs(hostNs, 'ip', ['link', 'del', outer]), alreadyGone);
      await inNs(hostNs, 'ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', rns]);
    }
    await inNs(hostNs, 'ip', ['link', 'set', outer, 'master', bridge, 'up']);
    const shown = innerThere ? await inNs(rns, 'ip', ['-j', 'link', 'show', 'dev', inner]) : '[]';
    const macBefore = (JSON.parse(shown) as Array<{ address?: string }>)[0]?.address;
    await inNs(rns, 'ip', ['link', 'set', inner, 'address', leg.mac.toLowerCase(), 'up']);
    // A new MAC (the gateway moved between hosts) is announced for every address, not only new ones.
    await setAddresses(rns, inner, [...leg.ips, ...extra], macBefore !== leg.mac.toLowerCase());
  }

  async function ensureExternal(networkId: string): Promise<void> {
    const br = bridgeName(networkId);
    await ignore(inNs(hostNs, 'ip', ['link', 'add', br, 'type', 'bridge']), alreadyThere);
    await inNs(hostNs, 'ip', ['link', 'set', br, 'up']);
    if (!provider) return;
    const up = uplinkName(networkId);
    const peer = uplinkPeerName(hostNs, networkId);
    const created = !(await linksIn(hostNs)).includes(up);
    if (created) {
      const target = provider.namespace ?? '1';
      await inNs(hostNs, 'ip', ['link', 'add', up, 'type', 'veth', 'peer', 'name', peer, 'netns', target]);
    }
    await inNs(hostNs, 'ip', ['link', 'set', up, 'master', br, 'up']);
    // Every time: a provider bridge that was missing before may be there now.
    const inTarget = (args: string[]) => (provider.namespace ? inNs(provider.namespace, 'ip', args) : sh('ip', args));
    await inTarget(['link', 'set', peer, 'master', provider.bridge, 'up']);
    if (created)
      log.info({ network: networkId, provider: provider.bridge }, 'external network plugged into the provider bridge');
  }

  async function ensureRouter(r: RouterSpec, localNetworks: Set<string>): Promise<void> {
    const rns = routerNamespace(hostNs, r.id);
    if (!(await namespaces()).includes(rns)) {
      await ignore(sh('ip', ['netns', 'add', rns]), alreadyThere);
      log.info({ router: r.id, namespace: rns }, 'router namespace created');
    }
    await inNs(rns, 'ip', ['link', 'set', 'lo', 'up']);
    await inNs(rns, 'sysctl', [
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv4.conf.all.rp_filter=0',
      // Removing a leg's primary address must not take its other addresses in that subnet along.
      'net.ipv4.conf.all.promote_secondaries=1',
      'net.ipv4.conf.default.promote_secondaries=1',
    ]);
    const legs = r.interfaces.filter((l) => localNetworks.has(l.networkId));
    const expected = new Set(['lo']);
    for (const leg of legs) {
      expected.add(legName(leg.portId));
      await ensureLeg(rns, legName(leg.portId), legPeerName(leg.portId), bridgeName(leg.networkId), leg, []);
    }
    const gw = r.gateway;
    if (gw) {
      await ensureExternal(gw.networkId);
      const dev = gatewayName(gw.portId);
      expected.add(dev);
      const fips = r.floatingIps.map((f) => `${f.floatingIp}/32`);
      await ensureLeg(rns, dev, gatewayPeerName(gw.portId), bridgeName(gw.networkId), gw, fips);
      // onlink: a host without the gateway address (floating IPs only) has no connected route to the next hop.
      if (gw.nextHop) await inNs(rns, 'ip', ['route', 'replace', 'default', 'via', gw.nextHop, 'dev', dev, 'onlink']);
    }
    for (const name of await linksIn(rns)) {
      if (!expected.has(name)) await ignore(inNs(rns, 'ip', ['link', 'del', name]), alreadyGone);
    }
    await inNs(rns, 'ip', ['route', 'flush', 'proto', 'static']);
    for (const route of r.routes) {
      await inNs(rns, 'ip', ['route', 'replace', route.destination, 'via', route.nexthop, 'proto', 'static']).catch(
        (err: unknown) => log.warn({ router: r.id, route, err: (err as Error).message }, 'extra route not installed'),
      );
    }
    const nat = renderNat({
      gatewayDevice: gw ? gatewayName(gw.portId) : null,
      gatewayIp: gw?.ips.map((ip) => ip.split('/')[0] ?? '').find((ip) => ip.includes('.')) ?? null,
      enableSnat: gw?.enableSnat ?? false,
      internalCidrs: legs.flatMap((l) => l.ips.flatMap((ip) => networkOf(ip) ?? [])),
      floatingIps: r.floatingIps,
    });
    await inNs(rns, 'nft', ['-f', '-'], nat);
  }

  /** Removes the uplinks and bridges of external networks no router here uses (VM networks' bridges stay). */
  async function removeStaleExternal(keep: Set<string>, localNetworks: Set<string>): Promise<void> {
    const links = await linksIn(hostNs).catch(() => [] as string[]);
    const ids = new Set([...keep, ...localNetworks].map(safeId));
    for (const name of links) {
      const id = name.startsWith('up') ? name.slice(2) : name.startsWith('brq') ? name.slice(3) : null;
      if (id === null || ids.has(id)) continue;
      await ignore(inNs(hostNs, 'ip', ['link', 'del', name]), alreadyGone);
    }
  }

  /**
   * Deletes a router namespace, its legs first: a namespace dies asynchronously in the kernel, and the bridges must
   * have lost the legs (and changed their MAC) before they announce the gateway again.
   */
  async function removeRouterNamespace(ns: string): Promise<void> {
    for (const name of await linksIn(ns).catch(() => [] as string[])) {
      if (name !== 'lo') await ignore(inNs(ns, 'ip', ['link', 'del', name]), alreadyGone);
    }
    await ignore(sh('ip', ['netns', 'del', ns]), alreadyGone);
  }

  return {
    async sync(routers, localNetworks) {
      const here = routersHere(routers, localNetworks);
      let ok = true;
      for (const r of here) {
        await ensureRouter(r, localNetworks).catch((err: unknown) => {
          ok = false;
          log.error({ router: r.id, err: (err as Error).message }, 'router not plumbed (retried with the next change)');
        });
      }
      const wanted = new Set(here.map((r) => routerNamespace(hostNs, r.id)));
      for (const ns of await namespaces()) {
        if (ns.startsWith(routerNamespacePrefix(hostNs)) && !wanted.has(ns)) {
          await removeRouterNamespace(ns);
          log.info({ namespace: ns }, 'router namespace removed');
        }
      }
      await removeStaleExternal(new Set(here.flatMap((r) => (r.gateway ? [r.gateway.networkId] : []))), localNetworks);
      return ok;
    },

    async removeAll() {
      for (const ns of await namespaces()) {
        if (ns.startsWith(routerNamespacePrefix(hostNs))) await removeRouterNamespace(ns);
      }
    },
  };
}
