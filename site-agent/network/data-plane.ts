/**
 * The network data plane of one agent host: a namespace holding a Linux bridge per Neutron network with ports here,
 * a persistent tap per port (QEMU, started inside the namespace, opens it by name), a dnsmasq per network serving
 * the ports' fixed MAC -> IP entries, and the security groups as one nftables ruleset (see nft.ts). Everything is
 * kernel state or a daemon plus `state.json`, so VMs keep their network when the agent dies; `recover()` re-creates
 * whatever is missing. The namespace forwards nothing: networks are isolated unless a router joins them, and routers
 * live in namespaces of their own (router.ts) with legs into the bridges. Operations run one at a time.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Logger } from '../../shared/ports/logger.ts';
import type { InstancePort, PortSubnet } from '../../shared/schemas/agent-protocol.ts';
import type { HostNetworkPolicy } from '../../shared/schemas/network-policy.ts';
import { isOurProcess, readPid, signal } from '../drivers/qemu/process.ts';
import {
  argsChanged,
  dhcpSubnet,
  dnsmasqArgs,
  extraSubnets,
  firstV4,
  renderHostsFile,
  stopDnsmasq,
  withSubnetOptions,
} from './dnsmasq.ts';
import { createMetadataService } from './metadata-service.ts';
import { bridgeName, networkFiles, tapName } from './names.ts';
import { type FilteredPort, renderRuleset } from './nft.ts';
import { announce, createRouterPlumbing, type ProviderBridge, routedGateways } from './router.ts';
import { alreadyGone, alreadyThere, inNs, sh } from './sh.ts';

/** A port plugged on this host (persisted). */
export interface PluggedPort extends FilteredPort {
  instanceId: string;
  networkId: string;
  gateway: string | null;
  mtu: number;
  /** The site's subnets of the port's addresses (DHCP options). */
  subnets?: PortSubnet[];
}

interface State {
  /** Recorded so a teardown helper finds the namespace from the folder alone. */
  namespace?: string;
  ports: Record<string, PluggedPort>;
  policy: HostNetworkPolicy | null;
}

/** The data plane as the QEMU driver and the agent use it. */
export interface NetworkDataPlane {
  /** The namespace QEMU must run in to open the taps. */
  readonly namespace: string;
  /** Plugs a VM's ports (idempotent); returns the tap name of each port id. */
  plugPorts(instanceId: string, ports: InstancePort[]): Promise<Map<string, string>>;
  /** Unplugs one port: its tap, DHCP entry and rules; the network's bridge and dnsmasq go with its last port. */
  unplugPort(portId: string): Promise<void>;
  /** Unplugs every port of a VM (delete, failed spawn). */
  releaseInstance(instanceId: string): Promise<void>;
  /** Replaces the security policy when `policy.revision` is newer; re-renders the rules. */
  applyPolicy(policy: HostNetworkPolicy): Promise<void>;
  /** After an agent restart: re-creates whatever is missing of the persisted state (running VMs keep their taps). */
  recover(): Promise<void>;
  /** Ports plugged now (tests, diagnostics). */
  ports(): PluggedPort[];
  /** Removes the namespace and the state (tests; never on agent shutdown). */
  destroy(): Promise<void>;
}

/** Options of {@link createNetworkDataPlane}. */
export interface DataPlaneOptions {
  /** Where state.json, the ruleset and the DHCP files live. */
  dir: string;
  namespace: string;
  log: Logger;
  /** Where external networks' bridges are plugged (router gateways, floating IPs); unset: nowhere. */
  provider?: ProviderBridge;
}

/** Builds the data plane (nothing is created before the first plug or `recover`). */
export function createNetworkDataPlane(options: DataPlaneOptions): NetworkDataPlane {
  const { dir, namespace: ns, log } = options;
  const files = networkFiles(dir);
  // 169.254.169.254 for the guests: per-network DNAT, a proxy in the namespace, the relay to the site (metadata*.ts).
  const metadata = createMetadataService({ dir, namespace: ns, log });
  const routers = createRouterPlumbing({
    hostNs: ns,
    log,
    ...(options.provider ? { provider: options.provider } : {}),
  });
  let state: State = { ports: {}, policy: null };
  let loaded = false;
  let chain: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const load = async () => {
    if (loaded) return;
    const text = await readFile(files.state, 'utf8').catch(() => undefined);
    if (text) state = JSON.parse(text) as State;
    loaded = true;
  };
  const save = async () => {
    await mkdir(dir, { recursive: true });
    // Owner-only: the policy holds the metadata service's shared secret.
    await writeFile(`${files.state}.tmp`, JSON.stringify({ ...state, namespace: ns }, null, 2), { mode: 0o600 });
    await rename(`${files.state}.tmp`, files.state);
  };
  const quiet = (p: Promise<unknown>, ok: (err: unknown) => boolean) =>
    p.then(
      () => undefined,
      (err: unknown) => {
        if (!ok(err)) throw err;
      },
    );

  async function ensureNamespace(): Promise<void> {
    const list = await sh('ip', ['netns', 'list']);
    if (!list.split('\n').some((l) => l.split(' ')[0] === ns)) {
      await quiet(sh('ip', ['netns', 'add', ns]), alreadyThere);
      log.info({ namespace: ns }, 'network namespace created');
    }
    await inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    await inNs(ns, 'sysctl', [
      '-q',
      '-w',
      'net.ipv4.ip_forward=0',
      'net.ipv6.conf.all.forwarding=0',
      'net.bridge.bridge-nf-call-iptables=1',
      'net.bridge.bridge-nf-call-ip6tables=1',
    ]);
  }

  const portsOf = (networkId: string) => Object.values(state.ports).filter((p) => p.networkId === networkId);

  async function ensureNetwork(networkId: string): Promise<void> {
    const br = bridgeName(networkId);
    const members = portsOf(networkId);
    await quiet(inNs(ns, 'ip', ['link', 'add', br, 'type', 'bridge']), alreadyThere);
    await inNs(ns, 'ip', ['link', 'set', br, 'up']);
    const sample = members.find((p) => firstV4(p.ips));
    const full = sample ? dhcpSubnet(sample.ips, sample.gateway, sample.mtu) : null;
    if (!sample || !full) return;
    // A router leg holds the gateway address: the bridge (dnsmasq's address) moves aside, DHCP still names the gateway.
    const routed = full.gateway !== null && routedGateways(routerSpecs(), localNetworks(), networkId).has(full.gateway);
    const aside = dhcpSubnet(sample.ips, null, sample.mtu)?.serverIp ?? full.serverIp;
    const subnet = routed ? { ...full, serverIp: aside } : full;
    const prefix = subnet.cidr.split('/')[1];
    // The other address goes first: deleting a subnet's primary address takes its secondaries with it.
    const other = routed ? full.serverIp : aside;
    const moved =
      other !== subnet.serverIp &&
      (await inNs(ns, 'ip', ['addr', 'del', `${other}/${prefix}`, 'dev', br]).then(
        () => true,
        () => false,
      ));
    await inNs(ns, 'ip', ['addr', 'replace', `${subnet.serverIp}/${prefix}`, 'dev', br]);
    if (moved) await announce(ns, br, subnet.serverIp);
    // Every other IPv4 subnet of the network's ports: an address on the bridge and a DHCP range of its own.
    const extra = extraSubnets(members, subnet);
    for (const x of extra)
      await inNs(ns, 'ip', ['addr', 'replace', `${x.serverIp}/${x.cidr.split('/')[1]}`, 'dev', br]);
    const hosts = members.flatMap((p) => {
      const a = firstV4(p.ips);
      return a ? [{ mac: p.mac, ip: a.ip }] : [];
    });
    const hostsFile = files.hosts(networkId);
    const text = renderHostsFile(hosts);
    const before = await readFile(hostsFile, 'utf8').catch(() => undefined);
    if (before !== text) await writeFile(hostsFile, text);
    const pidFile = files.dnsmasqPid(networkId);
    const pid = await readPid(pidFile);
    const args = dnsmasqArgs({ bridge: br, subnet: withSubnetOptions(subnet, members), extra, hostsFile, pidFile });
    if (pid !== null && (await isOurProcess(pid, hostsFile))) {
      // New subnets or options need a new command line; new hosts only a re-read.
      if (!(await argsChanged(pidFile, args))) {
        if (before !== text) signal(pid, 'SIGHUP');
        return;
      }
      await stopDnsmasq(pid, hostsFile);
    }
    await inNs(ns, 'dnsmasq', args);
    await argsChanged(pidFile, args);
    log.info({ namespace: ns, network: networkId, bridge: br }, 'dnsmasq started');
  }

  async function removeNetwork(networkId: string): Promise<void> {
    const pidFile = files.dnsmasqPid(networkId);
    const pid = await readPid(pidFile);
    if (pid !== null && (await isOurProcess(pid, files.hosts(networkId)))) signal(pid, 'SIGTERM');
    await quiet(inNs(ns, 'ip', ['link', 'del', bridgeName(networkId)]), alreadyGone);
    await Promise.all([rm(pidFile, { force: true }), rm(files.hosts(networkId), { force: true })]);
    log.info({ namespace: ns, network: networkId }, 'network removed from this host');
  }

  async function ensureTap(port: PluggedPort): Promise<void> {
    const exists = await inNs(ns, 'ip', ['link', 'show', 'dev', port.tap]).then(
      () => true,
      () => false,
    );
    // Persistent: the tap outlives QEMU (stop/start) and the agent; QEMU opens it by name.
    if (!exists) await inNs(ns, 'ip', ['tuntap', 'add', 'dev', port.tap, 'mode', 'tap']);
    await inNs(ns, 'ip', ['link', 'set', port.tap, 'mtu', String(port.mtu)]);
    await inNs(ns, 'ip', ['link', 'set', port.tap, 'master', bridgeName(port.networkId), 'up']);
  }

  const routerSpecs = () => state.policy?.routers ?? [];
  const localNetworks = () => new Set(Object.values(state.ports).map((p) => p.networkId));
  /**
   * What the last router sync converged to (specs + local networks): a security-group change or a port on a known
   * network leaves routers alone. Null after a start, a failure or `recover`: the next sync looks at the kernel.
   */
  let routersSynced: string | null = null;

  /** Routers after any change of ports or policy: bridges move their address aside where a router leg sits. */
  async function syncRouters(): Promise<void> {
    const specs = routerSpecs();
    const local = localNetworks();
    const key = JSON.stringify([specs, [...local].sort()]);
    if (key === routersSynced) return;
    routersSynced = null;
    // Bridges give their gateway address to a router leg before it comes, and take it back after it went (a bridge's
    // MAC can change as veths leave it: the announcement must come last).
    const routed = [...local].filter((n) => routedGateways(specs, local, n).size > 0);
    for (const networkId of routed) await ensureNetwork(networkId);
    const ok = await routers.sync(specs, local);
    for (const networkId of local) if (!routed.includes(networkId)) await ensureNetwork(networkId);
    if (ok) routersSynced = key;
  }

  async function applyRules(): Promise<void> {
    const text = renderRuleset(Object.values(state.ports), state.policy);
    await mkdir(dir, { recursive: true });
    await writeFile(files.ruleset, text);
    await inNs(ns, 'nft', ['-f', files.ruleset]);
    await metadata
      .sync(Object.values(state.ports), state.policy?.metadata)
      .catch((err: unknown) => log.error({ err: (err as Error).message }, 'metadata service not set up'));
  }

  async function unplug(portIds: string[]): Promise<void> {
    const gone = portIds.map((id) => state.ports[id]).filter((p): p is PluggedPort => p !== undefined);
    if (gone.length === 0) return;
    await ensureNamespace();
    for (const p of gone) delete state.ports[p.portId];
    await save();
    await applyRules();
    for (const p of gone) await quiet(inNs(ns, 'ip', ['link', 'del', p.tap]), alreadyGone);
    for (const networkId of new Set(gone.map((p) => p.networkId))) {
      if (portsOf(networkId).length === 0) await removeNetwork(networkId);
      else await ensureNetwork(networkId);
    }
    if (Object.keys(state.ports).length > 0) await syncRouters();
    if (Object.keys(state.ports).length === 0) {
      // Nothing left on this host: no namespace either (it comes back with the next port).
      await routers.removeAll();
      routersSynced = null;
      await metadata.stop();
      await quiet(sh('ip', ['netns', 'del', ns]), alreadyGone);
      log.info({ namespace: ns }, 'network namespace removed');
    }
  }

  return {
    namespace: ns,

    plugPorts: (instanceId, ports) =>
      serialized(async () => {
        await load();
        await ensureNamespace();
        for (const port of ports) {
          state.ports[port.id] = {
            portId: port.id,
            instanceId,
            networkId: port.networkId,
            tap: tapName(port.id),
            mac: port.mac,
            ips: port.ips,
            gateway: port.gateway ?? null,
            mtu: port.mtu ?? 1500,
            ...(port.subnets ? { subnets: port.subnets } : {}),
            ...(port.securityGroups ? { securityGroups: port.securityGroups } : {}),
            ...(port.portSecurity !== undefined ? { portSecurity: port.portSecurity } : {}),
          };
        }
        await save();
        for (const networkId of new Set(ports.map((p) => p.networkId))) await ensureNetwork(networkId);
        for (const port of ports) {
          const plugged = state.ports[port.id];
          if (plugged) await ensureTap(plugged);
        }
        await applyRules();
        await syncRouters();
        return new Map(ports.map((p) => [p.id, tapName(p.id)]));
      }),

    unplugPort: (portId) =>
      serialized(async () => {
        await load();
        await unplug([portId]);
      }),

    releaseInstance: (instanceId) =>
      serialized(async () => {
        await load();
        await unplug(
          Object.values(state.ports)
            .filter((p) => p.instanceId === instanceId)
            .map((p) => p.portId),
        );
      }),

    applyPolicy: (policy) =>
      serialized(async () => {
        await load();
        if (state.policy && state.policy.revision >= policy.revision) return;
        state.policy = policy;
        await save();
        if (Object.keys(state.ports).length > 0) {
          await applyRules();
          await syncRouters();
        }
        log.info({ namespace: ns, revision: policy.revision }, 'security policy applied');
      }),

    recover: () =>
      serialized(async () => {
        await load();
        if (Object.keys(state.ports).length === 0) return;
        await ensureNamespace();
        for (const networkId of new Set(Object.values(state.ports).map((p) => p.networkId))) {
          await ensureNetwork(networkId);
        }
        for (const port of Object.values(state.ports)) await ensureTap(port);
        await applyRules();
        routersSynced = null;
        await syncRouters();
        log.info({ namespace: ns, ports: Object.keys(state.ports).length }, 'network data plane recovered');
      }),

    ports: () => Object.values(state.ports),

    destroy: () =>
      serialized(async () => {
        await load();
        for (const networkId of new Set(Object.values(state.ports).map((p) => p.networkId))) {
          await removeNetwork(networkId);
        }
        await routers.removeAll();
        routersSynced = null;
        await metadata.stop();
        await quiet(sh('ip', ['netns', 'del', ns]), alreadyGone);
        state = { ports: {}, policy: null };
        await rm(dir, { recursive: true, force: true });
      }),
  };
}
