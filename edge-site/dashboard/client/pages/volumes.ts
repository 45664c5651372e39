/** Volumes: list, create, attach to / detach from a server (Nova's os-volume_attachments), delete. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Field, Header, html, messageOf, Table, useResource, value } from '../ui.ts';
import { type Problems, validateVolume } from '../validate.ts';

interface Volume {
  id: string;
  name: string | null;
  size: number;
  status: string;
  attachments: Array<{ server_id: string; device?: string }>;
}

async function load() {
  const [v, s] = await Promise.all([
    api<{ volumes: Volume[] }>('GET', `${base('volume')}/volumes/detail`),
    api<{ servers: Array<{ id: string; name: string }> }>('GET', `${base('compute')}/servers`),
  ]);
  return { volumes: v.volumes, servers: s.servers };
}

/** The volumes page. */
export function VolumesPage({ session }: { session: Session }): VNode {
  const r = useResource(load, [session.project.id], 3000);
  const [error, setError] = useState<string | null>(null);
  const [f, setF] = useState({ name: '', size: '1' });
  const [problems, setProblems] = useState<Problems>({});
  const [target, setTarget] = useState<Record<string, string>>({});
  const done = (p: Promise<unknown>, onOk?: () => void): void => {
    p.then(
      () => {
        onOk?.();
        r.reload();
      },
      (e: unknown) => setError(messageOf(e)),
    );
  };
  const create = (e: Event) => {
    e.preventDefault();
    const p = validateVolume(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    setError(null);
    done(api('POST', `${base('volume')}/volumes`, { volume: { name: f.name.trim(), size: Number(f.size) } }), () =>
      setF({ name: '', size: '1' }),
    );
  };
  const serverName = (id: string) => r.data?.servers.find((s) => s.id === id)?.name ?? id;
  const attach = (v: Volume) => {
    const sid = target[v.id] ?? r.data?.servers[0]?.id;
    if (!sid) return setError('There is no instance to attach to.');
    done(
      api('POST', `${base('compute')}/servers/${sid}/os-volume_attachments`, { volumeAttachment: { volumeId: v.id } }),
    );
  };
  const detach = (v: Volume, sid: string) =>
    done(api('DELETE', `${base('compute')}/servers/${sid}/os-volume_attachments/${v.id}`));
  const remove = (v: Volume) => {
    if (confirm(`Delete volume ${v.name ?? v.id}?`)) done(api('DELETE', `${base('volume')}/volumes/${v.id}`));
  };
  return html`<section>
    <${Header} title="Volumes" />
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    <form class="panel inline-form" onSubmit=${create} novalidate aria-label="Create volume">
      <${Field} label="Volume name" name="name" problems=${problems}>
        <input id="f-name" value=${f.name} onInput=${(e: Event) => setF({ ...f, name: value(e) })} />
      <//>
      <${Field} label="Size (GiB)" name="size" problems=${problems}>
        <input id="f-size" type="number" min="1" value=${f.size} onInput=${(e: Event) => setF({ ...f, size: value(e) })} />
      <//>
      <button type="submit" class="primary">Create volume</button>
    </form>
    <${Table}
      label="Volumes"
      rows=${r.data?.volumes}
      rowKey=${(v: Volume) => v.id}
      empty="No volumes."
      columns=${[
        { label: 'Name', cell: (v: Volume) => v.name || v.id },
        { label: 'Size', cell: (v: Volume) => `${v.size} GiB` },
        { label: 'Status', cell: (v: Volume) => html`<span class=${`status s-${v.status}`}>${v.status}</span>` },
        {
          label: 'Attached to',
          cell: (v: Volume) =>
            v.attachments.map(
              (a) => html`<div class="row-actions">${serverName(a.server_id)}${a.device ? ` on ${a.device}` : ''}
                <button type="button" onClick=${() => detach(v, a.server_id)}>Detach</button></div>`,
            ),
        },
        {
          label: 'Actions',
          cell: (v: Volume) => html`<div class="row-actions">
            ${
              v.status === 'available' && (r.data?.servers.length ?? 0) > 0
                ? html`<select aria-label=${`Instance for ${v.name ?? v.id}`} onChange=${(e: Event) => setTarget({ ...target, [v.id]: value(e) })}>
                  ${r.data?.servers.map((s) => html`<option value=${s.id}>${s.name}</option>`)}
                </select><button type="button" onClick=${() => attach(v)}>Attach</button>`
                : null
            }
            <button type="button" class="danger" onClick=${() => remove(v)}>Delete</button></div>`,
        },
      ]}
    />
  </section>` as VNode;
}
