/**
 * The federation as this site sees it: an SVG graph of sites and links (liveness, how long a site has been
 * unreachable, replication lag), this site's capacity, and the conflict ledger. Polled every 2 s.
 */
import type { VNode } from 'preact';
import { api, base } from '../api.ts';
import { type FederationSite, federationGraph, type SiteNode } from '../federation-model.ts';
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
interface Capacity {
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  running_vms: number;
}

async function load() {
  const [sites, conflicts, hypervisors] = await Promise.all([
    api<{ sites: FederationSite[] }>('GET', `${base('federation')}/sites`),
    api<{ conflicts: Conflict[] }>('GET', `${base('federation')}/conflicts`),
    api<{ hypervisors: Capacity[] }>('GET', `${base('compute')}/os-hypervisors/detail`).catch(() => ({
      hypervisors: [],
    })),
  ]);
  const cap = hypervisors.hypervisors.reduce<Capacity & { hosts: number }>(
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
  return { sites: sites.sites, conflicts: conflicts.conflicts, capacity: cap };
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

/** The federation page. */
export function FederationPage({ session }: { session: Session }): VNode {
  const r = useResource(load, [session.project.id], 2000);
  const { nodes } = federationGraph(r.data?.sites ?? []);
  const cap = r.data?.capacity;
  return html`<section>
    <${Header} title="Federation" />
    <${ErrorBox} error=${r.error} />
    <div class="two">
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
        ${
          cap
            ? html`<h2>Capacity of this site</h2>
          <p>${cap.hosts} host(s), ${cap.running_vms} instance(s)</p>
          <p>vCPUs <${Bar} fraction=${cap.vcpus ? cap.vcpus_used / cap.vcpus : 0} label=${`${cap.vcpus_used} of ${cap.vcpus}`} /></p>
          <p>RAM <${Bar} fraction=${cap.memory_mb ? cap.memory_mb_used / cap.memory_mb : 0} label=${`${megabytes(cap.memory_mb_used)} of ${megabytes(cap.memory_mb)}`} /></p>
          <p class="muted">Other sites' capacity: open their dashboard (each site reports its own hosts).</p>`
            : null
        }
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
