/** Networks: list with subnets, create a network (and optionally its subnet), delete, and the ports. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Field, Header, html, messageOf, Table, useResource, value } from '../ui.ts';
import { type Problems, validateNetwork } from '../validate.ts';

interface Network {
  id: string;
  name: string;
  status: string;
  subnets: string[];
  shared?: boolean;
}
interface Subnet {
  id: string;
  name: string;
  cidr: string;
  network_id: string;
}
interface Port {
  id: string;
  name: string;
  network_id: string;
  device_owner: string;
  status: string;
  mac_address: string;
  fixed_ips: Array<{ ip_address: string }>;
}

async function load() {
  const [n, s, p] = await Promise.all([
    api<{ networks: Network[] }>('GET', `${base('network')}/networks`),
    api<{ subnets: Subnet[] }>('GET', `${base('network')}/subnets`),
    api<{ ports: Port[] }>('GET', `${base('network')}/ports`),
  ]);
  return { networks: n.networks, subnets: s.subnets, ports: p.ports };
}

/** The networks page. */
export function NetworksPage({ session }: { session: Session }): VNode {
  const r = useResource(load, [session.project.id], 5000);
  const [error, setError] = useState<string | null>(null);
  const [f, setF] = useState({ name: '', cidr: '' });
  const [problems, setProblems] = useState<Problems>({});
  const create = (e: Event) => {
    e.preventDefault();
    const p = validateNetwork(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    setError(null);
    api<{ network: Network }>('POST', `${base('network')}/networks`, { network: { name: f.name.trim() } })
      .then((n) =>
        f.cidr.trim()
          ? api('POST', `${base('network')}/subnets`, {
              subnet: { network_id: n.network.id, cidr: f.cidr.trim(), ip_version: 4, name: `${f.name.trim()}-subnet` },
            })
          : undefined,
      )
      .then(
        () => {
          setF({ name: '', cidr: '' });
          r.reload();
        },
        (err: unknown) => {
          setError(messageOf(err));
          r.reload();
        },
      );
  };
  const remove = (n: Network) => {
    if (!confirm(`Delete network ${n.name || n.id}?`)) return;
    api('DELETE', `${base('network')}/networks/${n.id}`).then(r.reload, (e: unknown) => setError(messageOf(e)));
  };
  const subnetText = (n: Network) =>
    (r.data?.subnets ?? [])
      .filter((s) => s.network_id === n.id)
      .map((s) => `${s.name || s.id} ${s.cidr}`)
      .join(', ') || '—';
  const netName = (id: string) => r.data?.networks.find((n) => n.id === id)?.name ?? id;
  return html`<section>
    <${Header} title="Networks" />
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    <form class="panel inline-form" onSubmit=${create} novalidate aria-label="Create network">
      <${Field} label="Network name" name="name" problems=${problems}>
        <input id="f-name" value=${f.name} onInput=${(e: Event) => setF({ ...f, name: value(e) })} />
      <//>
      <${Field} label="Subnet CIDR (optional)" name="cidr" problems=${problems}>
        <input id="f-cidr" placeholder="10.0.0.0/24" value=${f.cidr} onInput=${(e: Event) => setF({ ...f, cidr: value(e) })} />
      <//>
      <button type="submit" class="primary">Create network</button>
    </form>
    <${Table}
      label="Networks"
      rows=${r.data?.networks}
      rowKey=${(n: Network) => n.id}
      empty="No networks."
      columns=${[
        { label: 'Name', cell: (n: Network) => n.name || n.id },
        { label: 'Subnets', cell: subnetText },
        { label: 'Shared', cell: (n: Network) => (n.shared ? 'yes' : 'no') },
        { label: 'Status', cell: (n: Network) => n.status },
        {
          label: 'Actions',
          cell: (n: Network) => html`<button type="button" class="danger" onClick=${() => remove(n)}>Delete</button>`,
        },
      ]}
    />
    <h2>Ports</h2>
    <${Table}
      label="Ports"
      rows=${r.data?.ports}
      rowKey=${(p: Port) => p.id}
      empty="No ports."
      columns=${[
        { label: 'Name / id', cell: (p: Port) => p.name || p.id },
        { label: 'Network', cell: (p: Port) => netName(p.network_id) },
        { label: 'Fixed IPs', cell: (p: Port) => p.fixed_ips.map((i) => i.ip_address).join(', ') || '—' },
        { label: 'MAC', cell: (p: Port) => p.mac_address },
        { label: 'Owner', cell: (p: Port) => p.device_owner || '—' },
        { label: 'Status', cell: (p: Port) => p.status },
      ]}
    />
  </section>` as VNode;
}
