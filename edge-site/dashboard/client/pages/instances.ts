/** Instances: list (polled), launch form, start/stop/reboot/delete, console log. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import { addresses, serverStatus } from '../format.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Header, html, messageOf, Table, useResource } from '../ui.ts';
import { LaunchForm } from './launch.ts';

/** A Nova server as listed by `/servers/detail`. */
export interface Server {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-AZ:availability_zone'?: string;
  addresses?: Record<string, Array<{ addr: string }>>;
  flavor: { id?: string; original_name?: string };
  image: { id?: string } | string;
  metadata?: Record<string, string>;
}

interface Named {
  id: string;
  name: string;
}

async function load() {
  const [servers, flavors, images] = await Promise.all([
    api<{ servers: Server[] }>('GET', `${base('compute')}/servers/detail`),
    api<{ flavors: Named[] }>('GET', `${base('compute')}/flavors`),
    api<{ images: Named[] }>('GET', `${base('image')}/images`),
  ]);
  return {
    servers: servers.servers,
    flavors: new Map(flavors.flavors.map((f) => [f.id, f.name])),
    images: new Map(images.images.map((i) => [i.id, i.name])),
  };
}

/** The instances page. */
export function InstancesPage({ session }: { session: Session }): VNode {
  const r = useResource(load, [session.project.id], 2000);
  const [launching, setLaunching] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [consoleOf, setConsoleOf] = useState<Server | null>(null);
  const site = location.host;

  const act = (s: Server, what: string) => {
    setError(null);
    const body =
      what === 'start' ? { 'os-start': null } : what === 'stop' ? { 'os-stop': null } : { reboot: { type: 'SOFT' } };
    const req =
      what === 'delete'
        ? confirm(`Delete instance ${s.name}?`)
          ? api('DELETE', `${base('compute')}/servers/${s.id}`)
          : Promise.resolve()
        : api('POST', `${base('compute')}/servers/${s.id}/action`, body);
    req.then(r.reload, (e: unknown) => setError(messageOf(e)));
  };
  const imageName = (s: Server) => {
    const id = typeof s.image === 'string' ? '' : (s.image.id ?? '');
    return id ? (r.data?.images.get(id) ?? id) : '(volume)';
  };
  const region = session.catalog.find((e) => e.type === 'compute')?.endpoints.find((e) => e.url.includes(site))?.region;

  return html`<section>
    <${Header} title="Instances">
      <button type="button" class="primary" onClick=${() => setLaunching(true)}>Launch instance</button>
    <//>
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    ${
      launching
        ? html`<${LaunchForm} onDone=${() => {
            setLaunching(false);
            r.reload();
          }} onCancel=${() => setLaunching(false)} />`
        : null
    }
    <${Table}
      label="Instances"
      rows=${r.data?.servers}
      rowKey=${(s: Server) => s.id}
      empty="No instances yet: launch one."
      columns=${[
        { label: 'Name', cell: (s: Server) => s.name },
        {
          label: 'Status',
          cell: (s: Server) =>
            html`<span class=${`status s-${s.status.toLowerCase()}`}>${serverStatus(s.status, s['OS-EXT-STS:task_state'])}</span>`,
        },
        { label: 'IP address', cell: (s: Server) => addresses(s.addresses) || '—' },
        {
          label: 'Flavor',
          cell: (s: Server) => s.flavor.original_name ?? r.data?.flavors.get(s.flavor.id ?? '') ?? s.flavor.id,
        },
        { label: 'Image', cell: imageName },
        { label: 'Site', cell: () => region ?? site },
        {
          label: 'Actions',
          cell: (s: Server) => html`<div class="row-actions">
            ${s.status === 'SHUTOFF' ? html`<button type="button" onClick=${() => act(s, 'start')}>Start</button>` : null}
            ${s.status === 'ACTIVE' ? html`<button type="button" onClick=${() => act(s, 'stop')}>Stop</button>` : null}
            ${s.status === 'ACTIVE' ? html`<button type="button" onClick=${() => act(s, 'reboot')}>Reboot</button>` : null}
            <button type="button" onClick=${() => setConsoleOf(s)}>Console log</button>
            <button type="button" class="danger" onClick=${() => act(s, 'delete')}>Delete</button>
          </div>`,
        },
      ]}
    />
    ${consoleOf ? html`<${ConsoleLog} server=${consoleOf} onClose=${() => setConsoleOf(null)} />` : null}
  </section>` as VNode;
}

function ConsoleLog({ server, onClose }: { server: Server; onClose: () => void }): VNode {
  const r = useResource(
    () =>
      api<{ output: string }>('POST', `${base('compute')}/servers/${server.id}/action`, {
        'os-getConsoleOutput': { length: 200 },
      }),
    [server.id],
    3000,
  );
  return html`<section class="panel" aria-labelledby="console-title">
    <div class="page-head"><h2 id="console-title">Console log of ${server.name}</h2>
      <div class="actions"><button type="button" onClick=${r.reload}>Refresh</button><button type="button" onClick=${onClose}>Close</button></div></div>
    <${ErrorBox} error=${r.error} />
    <pre class="console" tabindex="0" aria-label="Console output">${r.data?.output ?? (r.loading ? 'Loading…' : '')}</pre>
  </section>` as VNode;
}
