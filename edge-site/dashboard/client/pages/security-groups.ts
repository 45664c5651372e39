/** Security groups (Neutron) and their rules: create/delete groups, add/delete rules. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Field, Header, html, messageOf, Table, useResource, value } from '../ui.ts';
import { type Problems, validateRule } from '../validate.ts';

interface Rule {
  id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
}
interface Group {
  id: string;
  name: string;
  description: string;
  security_group_rules: Rule[];
}

function ports(r: Rule): string {
  if (r.port_range_min === null) return 'any';
  return r.port_range_min === r.port_range_max ? String(r.port_range_min) : `${r.port_range_min}-${r.port_range_max}`;
}

/** The security groups page. */
export function SecurityGroupsPage({ session }: { session: Session }): VNode {
  const r = useResource(
    () => api<{ security_groups: Group[] }>('GET', `${base('network')}/security-groups`),
    [session.project.id],
  );
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [open, setOpen] = useState<string | null>(null);
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
    if (name.trim() === '') return setError('Enter a security group name.');
    setError(null);
    done(api('POST', `${base('network')}/security-groups`, { security_group: { name: name.trim() } }), () =>
      setName(''),
    );
  };
  const groups = r.data?.security_groups;
  const selected = groups?.find((g) => g.id === open);
  return html`<section>
    <${Header} title="Security groups" />
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    <form class="panel inline-form" onSubmit=${create} novalidate aria-label="Create security group">
      <div class="field"><label for="f-sg-name">Group name</label>
        <input id="f-sg-name" value=${name} onInput=${(e: Event) => setName(value(e))} /></div>
      <button type="submit" class="primary">Create group</button>
    </form>
    <${Table}
      label="Security groups"
      rows=${groups}
      rowKey=${(g: Group) => g.id}
      empty="No security groups."
      columns=${[
        { label: 'Name', cell: (g: Group) => g.name },
        { label: 'Description', cell: (g: Group) => g.description || '—' },
        { label: 'Rules', cell: (g: Group) => g.security_group_rules.length },
        {
          label: 'Actions',
          cell: (g: Group) => html`<div class="row-actions">
            <button type="button" onClick=${() => setOpen(g.id)}>Manage rules</button>
            <button type="button" class="danger" onClick=${() => confirm(`Delete security group ${g.name}?`) && done(api('DELETE', `${base('network')}/security-groups/${g.id}`))}>Delete</button></div>`,
        },
      ]}
    />
    ${selected ? html`<${Rules} group=${selected} done=${done} onClose=${() => setOpen(null)} />` : null}
  </section>` as VNode;
}

function Rules({
  group,
  done,
  onClose,
}: {
  group: Group;
  done: (p: Promise<unknown>) => void;
  onClose: () => void;
}): VNode {
  const [f, setF] = useState({
    direction: 'ingress',
    protocol: 'tcp',
    portMin: '22',
    portMax: '22',
    cidr: '0.0.0.0/0',
  });
  const [problems, setProblems] = useState<Problems>({});
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: value(e) });
  const add = (e: Event) => {
    e.preventDefault();
    const p = validateRule(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    const withPorts = f.protocol === 'tcp' || f.protocol === 'udp';
    const rule: Record<string, unknown> = { security_group_id: group.id, direction: f.direction, ethertype: 'IPv4' };
    if (f.protocol !== 'any') rule.protocol = f.protocol;
    if (withPorts && f.portMin.trim()) rule.port_range_min = Number(f.portMin);
    if (withPorts && (f.portMax.trim() || f.portMin.trim()))
      rule.port_range_max = Number(f.portMax.trim() || f.portMin);
    if (f.cidr.trim()) rule.remote_ip_prefix = f.cidr.trim();
    done(api('POST', `${base('network')}/security-group-rules`, { security_group_rule: rule }));
  };
  return html`<section class="panel" aria-labelledby="rules-title">
    <div class="page-head"><h2 id="rules-title">Rules of ${group.name}</h2><div class="actions"><button type="button" onClick=${onClose}>Close</button></div></div>
    <${Table}
      label=${`Rules of ${group.name}`}
      rows=${group.security_group_rules}
      rowKey=${(x: Rule) => x.id}
      empty="No rules."
      columns=${[
        { label: 'Direction', cell: (x: Rule) => x.direction },
        { label: 'Ether type', cell: (x: Rule) => x.ethertype },
        { label: 'Protocol', cell: (x: Rule) => x.protocol ?? 'any' },
        { label: 'Ports', cell: ports },
        { label: 'Remote', cell: (x: Rule) => x.remote_ip_prefix ?? 'any' },
        {
          label: 'Actions',
          cell: (x: Rule) =>
            html`<button type="button" class="danger" onClick=${() => done(api('DELETE', `${base('network')}/security-group-rules/${x.id}`))}>Delete</button>`,
        },
      ]}
    />
    <form class="inline-form" onSubmit=${add} novalidate aria-label="Add rule">
      <div class="field"><label for="f-direction">Direction</label>
        <select id="f-direction" value=${f.direction} onChange=${set('direction')}><option value="ingress">ingress</option><option value="egress">egress</option></select></div>
      <div class="field"><label for="f-protocol">Protocol</label>
        <select id="f-protocol" value=${f.protocol} onChange=${set('protocol')}>${['tcp', 'udp', 'icmp', 'any'].map((p) => html`<option value=${p}>${p}</option>`)}</select></div>
      <${Field} label="From port" name="portMin" problems=${problems}><input id="f-portMin" value=${f.portMin} onInput=${set('portMin')} /><//>
      <${Field} label="To port" name="portMax" problems=${problems}><input id="f-portMax" value=${f.portMax} onInput=${set('portMax')} /><//>
      <${Field} label="Remote CIDR" name="cidr" problems=${problems}><input id="f-cidr" value=${f.cidr} onInput=${set('cidr')} /><//>
      <button type="submit" class="primary">Add rule</button>
    </form>
  </section>` as VNode;
}
