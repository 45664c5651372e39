/**
 * The federation as this site sees it: an SVG graph of sites and links (liveness, how long a site has been
 * unreachable, replication lag), each site's capacity (read from each site's own API), and the conflict ledger.
 * Polled every 2 s.
 */
import type { VNode } from 'preact';
import { api, base } from '../api.ts';
import { errorMessage } from '../errors.ts';
import {
  type FederationSite,
  federationGraph,
  type HypervisorCapacity,
  type SiteCapacity,
  type SiteNode,
  siteCapacity,
} from '../federation-model.ts';
import { megabytes } from '../format.ts';
import type { Session } from '../session.ts';
import { Bar, ErrorBox, Header, html, Table, useResource } from '../ui.ts';

interface Conflict {
  id: string;
  kind: string;
  collection: string;
  record_id: string;
  detected_at: string;
  winner: { site_id: string; written_at: string | null; deleted: boolean };
  losers: Array<{ site_id: string }>;
  reason: string;
}
type Capacities = Record<string, SiteCapacity | string>;

/** A peer's hypervisors, read cross-origin from its own API (it allows federation sites' origins). */
async function peerHypervisors(url: string, token: string): Promise<HypervisorCapacity[]> {
  const res = await fetch(`${url}/compute/v2.1/os-hypervisors/detail`, {
    headers: { 'X-Auth-Token': token, Accept: 'application/json' },
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(errorMessage(res.status, await res.text()));
  return ((await res.json()) as { hypervisors: HypervisorCapacity[] }).hypervisors;
}

async function load(session: Session) {
  const [sites, conflicts] = await Promise.all([
    api<{ sites: FederationSite[] }>('GET', `${base('federation')}/sites`),
    api<{ conflicts: Conflict[] }>('GET', `${base('federation')}/conflicts`),
  ]);
  const capacity: Capacities = {};
  await Promise.all(
    sites.sites.map(async (s) => {
      if (!s.self && s.status !== 'up') {
        capacity[s.id] = 'unreachable';
        return;
      }
      try {
        const list = s.self
          ? (await api<{ hypervisors: HypervisorCapacity[] }>('GET', `${base('compute')}/os-hypervisors/detail`))
              .hypervisors
          : await peerHypervisors(s.url ?? '', session.token);
        capacity[s.id] = siteCapacity(list);
      } catch (e) {
        capacity[s.id] = e instanceof Error ? e.message : String(e);
      }
    }),
  );
  return { sites: sites.sites, conflicts: conflicts.conflicts, capacity };
}

function Graph({ nodes }: { nodes: SiteNode[] }): VNode {
  const self = nodes.find((n) => n.self);
  const size = 360;
  return html`<svg class="fedgraph" viewBox=${`0 0 ${size} ${size}`} width=${size} height=${size} role="img"
      aria-label=${`Federation graph: ${nodes.map((n) => `${n.name} ${n.liveness}`).join('; ')}`}>
    ${self ? nodes.filter((n) => !n.self).map((n) => html`<line x1=${self.x} y1=${self.y} x2=${n.x} y2=${n.y} class=${`link ${n.state}`} />`) : null}
    ${nodes.map(
      (n) => html`<g class=${`node ${n.state}${n.self ? ' self' : ''}`} data-site=${n.id}>
        <circle cx=${n.x} cy=${n.y} r="26" />
        <text x=${n.x} y=${n.y + 4} text-anchor="middle" class="name">${n.name}</text>
        <text x=${n.x} y=${n.self ? n.y - 34 : n.y + 42} text-anchor="middle" class="state">${n.liveness}</text>
      </g>`,
    )}
  </svg>` as VNode;
}

/** A capacity cell: the figure, or why it is not known (a site that cannot be asked). */
function capCell(c: SiteCapacity | string | undefined, show: (c: SiteCapacity) => unknown, why = false): unknown {
  if (c === undefined) return '…';
  if (typeof c !== 'string') return show(c);
  if (!why) return '—';
  if (c === 'unreachable') return html`<span class="status s-down">unreachable</span>`;
  return html`<span class="muted" title=${c}>not known</span>`;
}

/** The federation page. */
export function FederationPage({ session }: { session: Session }): VNode {
  const r = useResource(() => load(session), [session.project.id], 2000);
  const { nodes } = federationGraph(r.data?.sites ?? []);
  const cap = r.data?.capacity;
  return html`<section>
    <${Header} title="Federation" />
    <${ErrorBox} error=${r.error} />
    <div class="fedlayout">
      <div>${r.data ? html`<${Graph} nodes=${nodes} />` : html`<p class="muted">Loading…</p>`}</div>
      <div>
        <${Table}
          label="Sites"
          rows=${r.data ? nodes : undefined}
          rowKey=${(n: SiteNode) => n.id}
          empty="No sites."
          columns=${[
            {
              label: 'Site',
              cell: (n: SiteNode) => (n.url && !n.self ? html`<a href=${`${n.url}/dashboard/`}>${n.name}</a>` : n.name),
            },
            {
              label: 'Liveness',
              cell: (n: SiteNode) =>
                html`<span class=${`status s-${n.state}`} data-liveness=${n.id}>${n.liveness}</span>`,
            },
            { label: 'Last contact', cell: (n: SiteNode) => n.lastContact },
            { label: 'Replication', cell: (n: SiteNode) => n.replication },
          ]}
        />
        <h2>Capacity per site</h2>
        <${Table}
          label="Capacity per site"
          rows=${r.data ? nodes : undefined}
          rowKey=${(n: SiteNode) => n.id}
          empty="No sites."
          columns=${[
            { label: 'Site', cell: (n: SiteNode) => n.name },
            { label: 'Hosts', cell: (n: SiteNode) => capCell(cap?.[n.id], (c) => c.hosts, true) },
            {
              label: 'vCPUs',
              cell: (n: SiteNode) =>
                capCell(
                  cap?.[n.id],
                  (c) =>
                    html`<${Bar} fraction=${c.vcpus ? c.vcpus_used / c.vcpus : 0} label=${`${c.vcpus_used} of ${c.vcpus}`} />`,
                ),
            },
            {
              label: 'RAM',
              cell: (n: SiteNode) =>
                capCell(
                  cap?.[n.id],
                  (c) =>
                    html`<${Bar} fraction=${c.memory_mb ? c.memory_mb_used / c.memory_mb : 0} label=${`${megabytes(c.memory_mb_used)} of ${megabytes(c.memory_mb)}`} />`,
                ),
            },
            { label: 'VMs', cell: (n: SiteNode) => capCell(cap?.[n.id], (c) => c.running_vms) },
          ]}
        />
      </div>
    </div>
    <h2>Conflict ledger</h2>
    <${Table}
      label="Conflict ledger"
      rows=${r.data?.conflicts}
      rowKey=${(c: Conflict) => c.id}
      empty="No conflicts: every replicated change merged cleanly."
      columns=${[
        { label: 'Detected', cell: (c: Conflict) => c.detected_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
        { label: 'Kind', cell: (c: Conflict) => c.kind },
        { label: 'Collection', cell: (c: Conflict) => c.collection },
        { label: 'Record', cell: (c: Conflict) => html`<code class="id">${c.record_id}</code>` },
        { label: 'Winner', cell: (c: Conflict) => `${c.winner.site_id}${c.winner.deleted ? ' (delete)' : ''}` },
        { label: 'Losers', cell: (c: Conflict) => c.losers.map((l) => l.site_id).join(', ') || '—' },
        { label: 'Why', cell: (c: Conflict) => c.reason },
      ]}
    />
  </section>` as VNode;
}
