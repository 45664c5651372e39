/**
 * In-memory fakes of the services compute uses (image, network, fleet, placement), behaving like the real ones at
 * their interfaces: the fake fleet answers commands like an agent (idempotent by request id) and emits events.
 */
import { BrumeError, notFound } from '../../../shared/errors.ts';
import type { AgentCommand, InstanceInfo, PowerState } from '../../../shared/schemas/agent-protocol.ts';
import type { Image } from '../../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../../api/env.ts';
import type {
  ClaimRequest,
  Fleet,
  FleetEvent,
  HostState,
  HostUsage,
  ImageService,
  NetworkService,
  Placement,
  ServerPort,
} from '../../services.ts';

/** An active public image with defaults. */
export function testImage(init: Partial<Image> = {}): Image {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'cirros',
    status: 'active',
    visibility: 'public',
    owner: 'p1',
    protected: false,
    disk_format: 'qcow2',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    size: 1024,
    virtual_size: null,
    checksum: null,
    os_hash_algo: 'sha512',
    os_hash_value: 'abc',
    os_hidden: false,
    tags: [],
    properties: {},
    locations: ['test'],
    created_at: 0,
    updated_at: 0,
    ...init,
  };
}

/** ImageService over a map; private images are visible to their owner only. */
export function fakeImages(images: Image[] = [testImage()]): ImageService & { images: Map<string, Image> } {
  const map = new Map(images.map((i) => [i.id, i]));
  return {
    images: map,
    getForBoot(auth: AuthContext, id: string) {
      const img = map.get(id);
      if (!img || (img.visibility === 'private' && img.owner !== auth.project?.id)) {
        throw notFound('image.not_found', `Image ${id} not found.`);
      }
      if (img.status !== 'active') throw new BrumeError('conflict', 'image.not_active', `Image ${id} is not active.`);
      return img;
    },
    fileUrl: (id) => `http://site/image/v2/images/${id}/file`,
  };
}

/** NetworkService with one network `private` (10.0.0.0/24); `failNext` makes the next allocation fail. */
export function fakeNetwork(): NetworkService & { ports: Map<string, ServerPort[]>; failNext: boolean } {
  const ports = new Map<string, ServerPort[]>();
  let n = 10;
  const net = {
    ports,
    failNext: false,
    async allocateForServer(_auth: AuthContext, serverId: string, request: unknown, _host: string) {
      if (net.failNext) {
        net.failNext = false;
        throw new BrumeError('conflict', 'network.ip_exhausted', 'No more IP addresses available on network private.');
      }
      if (request === 'none') return [];
      n += 1;
      // A second allocation for the same server is an os-interface attach: it adds a port ({port} keeps its id).
      const had = ports.get(serverId) ?? [];
      const asked = Array.isArray(request) ? (request[0] as { port?: string } | undefined)?.port : undefined;
      if (asked && [...ports.values()].some((l) => l.some((p) => p.portId === asked))) {
        throw new BrumeError('conflict', 'network.port_in_use', `Port ${asked} is still in use.`);
      }
      const port: ServerPort = {
        portId: asked ?? (had.length > 0 ? `port-${serverId}-${n}` : `port-${serverId}`),
        networkId: 'net-private',
        networkName: 'private',
        macAddress: `fa:16:3e:00:00:${n.toString(16).padStart(2, '0')}`,
        fixedIps: [{ ipAddress: `10.0.0.${n}`, subnetId: 'sub', version: 4, prefixLength: 24, gateway: '10.0.0.1' }],
      };
      ports.set(serverId, had.length > 0 ? [...had, port] : [port]);
      return [port];
    },
    async releasePort(serverId: string, portId: string) {
      const had = ports.get(serverId) ?? [];
      ports.set(
        serverId,
        had.filter((p) => p.portId !== portId),
      );
      return had.some((p) => p.portId === portId);
    },
    async portsOfServer(serverId: string) {
      return ports.get(serverId) ?? [];
    },
    async portsOfServers(serverIds: readonly string[]) {
      return new Map(serverIds.map((id) => [id, ports.get(id) ?? []]));
    },
    async releaseForServer(serverId: string) {
      ports.delete(serverId);
    },
  };
  return net;
}

/** A host as the fake fleet knows it. */
export function testHost(id: string, numericId: number, init: Partial<HostState> = {}): HostState {
  return {
    id,
    numericId,
    state: 'up',
    enabled: true,
    disabledReason: null,
    availabilityZone: 'nova',
    inventory: { vcpus: 8, memoryMiB: 16384, diskGiB: 100, hypervisorType: 'QEMU', hypervisorVersion: 8002000 },
    lastSeen: 0,
    bootId: 'boot-1',
    ...init,
  };
}

/** The fake fleet: VMs per host, a log of commands, failure injection, and events. */
export interface FakeFleet extends Fleet {
  vms: Map<string, Map<string, PowerState>>;
  sent: Array<{ host: string; command: AgentCommand; requestId: string }>;
  /** Hosts whose spawns fail. */
  failSpawn: Set<string>;
  /** Commands that never answer until released (to observe transitional states). */
  hold: { op: string | null; release: Array<() => void> };
  emit(event: FleetEvent): void;
  /** How many times each request id was executed (must stay 1). */
  executed: Map<string, number>;
}

/** A fake fleet over `hosts`; executes commands like an agent would. */
export function fakeFleet(hosts: HostState[]): FakeFleet {
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const listeners = new Set<(e: FleetEvent) => void>();
  const results = new Map<string, unknown>();
  const fleet: FakeFleet = {
    vms: new Map(hosts.map((h) => [h.id, new Map()])),
    sent: [],
    failSpawn: new Set(),
    hold: { op: null, release: [] },
    executed: new Map(),
    hosts: () => [...byId.values()],
    host: (id) => byId.get(id),
    async setEnabled(id, enabled, reason = null) {
      const h = byId.get(id);
      if (!h) throw notFound('fleet.host_not_found', `Host ${id} not found.`);
      const next = { ...h, enabled, disabledReason: enabled ? null : reason };
      byId.set(id, next);
      return next;
    },
    async send<R>(host: string, command: AgentCommand, opts: { requestId?: string } = {}): Promise<R> {
      const requestId = opts.requestId ?? `auto-${fleet.sent.length}`;
      fleet.sent.push({ host, command, requestId });
      const h = byId.get(host);
      if (!h || h.state === 'down') throw new BrumeError('unavailable', 'fleet.host_down', `Host ${host} is down.`);
      if (results.has(requestId)) return results.get(requestId) as R;
      if (fleet.hold.op === command.op) await new Promise<void>((r) => fleet.hold.release.push(r));
      fleet.executed.set(requestId, (fleet.executed.get(requestId) ?? 0) + 1);
      const vms = fleet.vms.get(host) ?? new Map<string, PowerState>();
      fleet.vms.set(host, vms);
      const result = execute(host, vms, command);
      results.set(requestId, result);
      return result as R;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of listeners) l(event);
    },
  };
  const execute = (host: string, vms: Map<string, PowerState>, c: AgentCommand): unknown => {
    if (c.op === 'list') return [...vms].map(([id, powerState]) => ({ id, powerState, observedAt: 0 }));
    if (c.op === 'spawn') {
      if (fleet.failSpawn.has(host)) {
        throw new BrumeError('internal', 'driver.spawn_failed', `Spawn failed on ${host}.`);
      }
      vms.set(c.spec.id, 'running');
      return { id: c.spec.id, powerState: 'running', observedAt: 0 } satisfies InstanceInfo;
    }
    if (c.op === 'network_policy') return null;
    // Volume storage commands (`volume_*`): this fake keeps no volumes.
    if ('name' in c) return null;
    const id = c.instanceId;
    if (c.op === 'destroy') {
      vms.delete(id);
      return null;
    }
    if (!vms.has(id)) throw new BrumeError('not_found', 'driver.instance_not_found', `Instance ${id} not found.`);
    const next: Partial<Record<AgentCommand['op'], PowerState>> = {
      stop: 'shutdown',
      start: 'running',
      reboot: 'running',
      pause: 'paused',
      unpause: 'running',
      suspend: 'suspended',
      resume: 'running',
    };
    if (c.op === 'console') return { output: 'line1\nline2\nline3\nlogin: ' };
    const state = next[c.op];
    if (state) vms.set(id, state);
    return null;
  };
  return fleet;
}

/** Placement over the fake fleet: first enabled, up host with room (by vCPUs); honours ignore/force/az. */
export function fakePlacement(fleet: Fleet): Placement & { claims: Map<string, { host: string; req: ClaimRequest }> } {
  const claims = new Map<string, { host: string; req: ClaimRequest }>();
  const usage = (host: string): HostUsage => {
    const u = { vcpus: 0, memoryMiB: 0, diskGiB: 0, instances: 0 };
    for (const c of claims.values()) {
      if (c.host !== host) continue;
      u.vcpus += c.req.vcpus;
      u.memoryMiB += c.req.memoryMiB;
      u.diskGiB += c.req.diskGiB;
      u.instances += 1;
    }
    return u;
  };
  return {
    claims,
    usage,
    async claim(req) {
      const existing = claims.get(req.consumerId);
      if (existing) return { host: existing.host };
      const candidates = fleet
        .hosts()
        .filter((h) => h.state === 'up' && h.enabled)
        .filter((h) => !req.ignoreHosts?.includes(h.id))
        .filter((h) => !req.forceHost || h.id === req.forceHost)
        .filter((h) => !req.availabilityZone || h.availabilityZone === req.availabilityZone)
        .filter((h) => usage(h.id).vcpus + req.vcpus <= h.inventory.vcpus)
        .filter((h) => req.group?.policy !== 'anti-affinity' || !req.group.memberHosts.includes(h.id))
        .filter(
          (h) =>
            req.group?.policy !== 'affinity' ||
            req.group.memberHosts.length === 0 ||
            req.group.memberHosts.includes(h.id),
        );
      const host = candidates[0];
      if (!host) {
        throw new BrumeError(
          'conflict',
          'scheduler.no_valid_host',
          'No valid host was found. There are not enough hosts available.',
        );
      }
      claims.set(req.consumerId, { host: host.id, req });
      return { host: host.id };
    },
    async release(consumerId) {
      claims.delete(consumerId);
    },
  };
}
