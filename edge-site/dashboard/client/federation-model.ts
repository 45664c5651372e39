/** The federation view's model (pure): what `/federation/v1/sites` says, turned into what the graph shows. */
import { duration, secondsBetween } from './format.ts';

/** A site as `/federation/v1/sites` lists it. */
export interface FederationSite {
  id: string;
  name: string;
  region: string | null;
  url: string | null;
  self: boolean;
  status: string;
  reachable: boolean;
  last_contact: string | null;
  down_since: string | null;
  replication: { in_sync: boolean; out_of_sync_since: string | null; lag_ms: number | null } | null;
}

/** One node of the graph. */
export interface SiteNode {
  id: string;
  name: string;
  self: boolean;
  url: string | null;
  /** `up`, `down` (unreachable) or `unknown` (never heard of). */
  state: 'up' | 'down' | 'unknown';
  /** A sentence for the node: `reachable`, `unreachable for 12 s`, `never contacted`. */
  liveness: string;
  lastContact: string;
  replication: string;
  x: number;
  y: number;
}

/**
 * Places the sites on a circle (this site first, at the top) and words their state. `now` is this site's clock as
 * the API reports it (the self entry's `last_contact`), so the durations do not depend on the browser's clock.
 */
export function federationGraph(sites: FederationSite[], size = 360): { nodes: SiteNode[]; now: string | null } {
  const self = sites.find((s) => s.self);
  const now = self?.last_contact ?? null;
  const ordered = [...(self ? [self] : []), ...sites.filter((s) => !s.self)];
  const c = size / 2;
  const radius = ordered.length > 1 ? size / 2 - 60 : 0;
  const nodes = ordered.map((s, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, ordered.length);
    const state: SiteNode['state'] = s.self || s.status === 'up' ? 'up' : s.status === 'down' ? 'down' : 'unknown';
    const since = secondsBetween(s.down_since, now);
    const ago = secondsBetween(s.last_contact, now);
    const liveness = s.self
      ? 'this site'
      : state === 'up'
        ? 'reachable'
        : state === 'down'
          ? `unreachable for ${duration(since ?? ago ?? 0)}`
          : 'never contacted';
    const lag = s.replication?.lag_ms;
    const replication = s.self
      ? '—'
      : !s.replication
        ? 'unknown'
        : s.replication.in_sync
          ? 'in sync'
          : `behind for ${lag === null || lag === undefined ? '?' : duration(lag / 1000)}`;
    return {
      id: s.id,
      name: s.name,
      self: s.self,
      url: s.url,
      state,
      liveness,
      lastContact: s.self ? 'now' : ago === null ? 'never' : `${duration(ago)} ago`,
      replication,
      x: Math.round(c + radius * Math.cos(angle)),
      y: Math.round(c + radius * Math.sin(angle)),
    };
  });
  return { nodes, now };
}

/** One hypervisor's capacity as Nova's `os-hypervisors/detail` lists it. */
export interface HypervisorCapacity {
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  running_vms: number;
}

/** A site's capacity: the sum over its hypervisors. */
export interface SiteCapacity extends HypervisorCapacity {
  hosts: number;
}

/** Sums a site's hypervisors. */
export function siteCapacity(hypervisors: HypervisorCapacity[]): SiteCapacity {
  return hypervisors.reduce<SiteCapacity>(
    (a, h) => ({
      vcpus: a.vcpus + h.vcpus,
      vcpus_used: a.vcpus_used + h.vcpus_used,
      memory_mb: a.memory_mb + h.memory_mb,
      memory_mb_used: a.memory_mb_used + h.memory_mb_used,
      running_vms: a.running_vms + h.running_vms,
      hosts: a.hosts + 1,
    }),
    { vcpus: 0, vcpus_used: 0, memory_mb: 0, memory_mb_used: 0, running_vms: 0, hosts: 0 },
  );
}
