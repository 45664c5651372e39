/** Admin: hypervisors with capacity, projects, users and role assignments (needs the admin role). */
import type { VNode } from 'preact';
import { api, base } from '../api.ts';
import { megabytes } from '../format.ts';
import type { Session } from '../session.ts';
import { Bar, ErrorBox, Header, html, Table, useResource } from '../ui.ts';

interface Hypervisor {
  id: number | string;
  hypervisor_hostname: string;
  state: string;
  status: string;
  hypervisor_type: string;
  vcpus: number;
  vcpus_used: number;
  memory_mb: number;
  memory_mb_used: number;
  local_gb: number;
  local_gb_used: number;
  running_vms: number;
}
interface Named {
  id: string;
  name: string;
  domain_id?: string;
  enabled?: boolean;
}
interface Assignment {
  role: { id: string; name?: string };
  user?: { id: string; name?: string };
  group?: { id: string; name?: string };
  scope: { project?: { id: string; name?: string }; domain?: { id: string; name?: string }; system?: unknown };
}

async function load() {
  const [h, p, u, a] = await Promise.all([
    api<{ hypervisors: Hypervisor[] }>('GET', `${base('compute')}/os-hypervisors/detail`),
    api<{ projects: Named[] }>('GET', `${base('identity')}/projects`),
    api<{ users: Named[] }>('GET', `${base('identity')}/users`),
    api<{ role_assignments: Assignment[] }>('GET', `${base('identity')}/role_assignments?include_names=true`),
  ]);
  return { hypervisors: h.hypervisors, projects: p.projects, users: u.users, assignments: a.role_assignments };
}

function frac(used: number, total: number): number {
  return total > 0 ? used / total : 0;
}

/** The admin page. */
export function AdminPage({ session }: { session: Session }): VNode {
  const r = useResource(load, [session.project.id], 5000);
  const scope = (a: Assignment) =>
    a.scope.project
      ? `project ${a.scope.project.name ?? a.scope.project.id}`
      : a.scope.domain
        ? `domain ${a.scope.domain.name ?? a.scope.domain.id}`
        : 'system';
  return html`<section>
    <${Header} title="Admin" />
    <${ErrorBox} error=${r.error} />
    <h2>Hypervisors</h2>
    <${Table}
      label="Hypervisors"
      rows=${r.data?.hypervisors}
      rowKey=${(h: Hypervisor) => String(h.id)}
      empty="No hypervisors: no agent has registered."
      columns=${[
        { label: 'Host', cell: (h: Hypervisor) => h.hypervisor_hostname },
        { label: 'Type', cell: (h: Hypervisor) => h.hypervisor_type },
        {
          label: 'State',
          cell: (h: Hypervisor) => html`<span class=${`status s-${h.state}`}>${h.state} / ${h.status}</span>`,
        },
        {
          label: 'vCPUs',
          cell: (h: Hypervisor) =>
            html`<${Bar} fraction=${frac(h.vcpus_used, h.vcpus)} label=${`${h.vcpus_used} of ${h.vcpus}`} />`,
        },
        {
          label: 'RAM',
          cell: (h: Hypervisor) =>
            html`<${Bar} fraction=${frac(h.memory_mb_used, h.memory_mb)} label=${`${megabytes(h.memory_mb_used)} of ${megabytes(h.memory_mb)}`} />`,
        },
        {
          label: 'Disk',
          cell: (h: Hypervisor) =>
            html`<${Bar} fraction=${frac(h.local_gb_used, h.local_gb)} label=${`${h.local_gb_used} of ${h.local_gb} GB`} />`,
        },
        { label: 'Instances', cell: (h: Hypervisor) => h.running_vms },
      ]}
    />
    <div class="two">
      <div><h2>Projects</h2>
        <${Table} label="Projects" rows=${r.data?.projects} rowKey=${(p: Named) => p.id} empty="No projects."
          columns=${[{ label: 'Name', cell: (p: Named) => p.name }, { label: 'Domain', cell: (p: Named) => p.domain_id }, { label: 'Enabled', cell: (p: Named) => (p.enabled === false ? 'no' : 'yes') }]} /></div>
      <div><h2>Users</h2>
        <${Table} label="Users" rows=${r.data?.users} rowKey=${(u: Named) => u.id} empty="No users."
          columns=${[{ label: 'Name', cell: (u: Named) => u.name }, { label: 'Domain', cell: (u: Named) => u.domain_id }, { label: 'Enabled', cell: (u: Named) => (u.enabled === false ? 'no' : 'yes') }]} /></div>
    </div>
    <h2>Role assignments</h2>
    <${Table}
      label="Role assignments"
      rows=${r.data?.assignments}
      rowKey=${(a: Assignment) => `${a.role.id}:${a.user?.id ?? a.group?.id}:${scope(a)}`}
      empty="No role assignments."
      columns=${[
        { label: 'Role', cell: (a: Assignment) => a.role.name ?? a.role.id },
        {
          label: 'User or group',
          cell: (a: Assignment) =>
            a.user ? `user ${a.user.name ?? a.user.id}` : `group ${a.group?.name ?? a.group?.id}`,
        },
        { label: 'Scope', cell: scope },
      ]}
    />
  </section>` as VNode;
}
