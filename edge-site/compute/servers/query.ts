/** Server listings: Nova's filters (name regex, status, image, flavor, host, ip, changes-since, tenants), sort, page. */
import { badRequest } from '../../../shared/errors.ts';
import type { AuthContext } from '../../api/env.ts';
import { isAdmin, projectOf } from '../../api/policy.ts';
import type { ServerPort } from '../../services.ts';
import { vmStatesForStatus } from './states.ts';
import type { ServerRow, ServerStore } from './store.ts';

function parseBool(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === '' || ['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  throw badRequest('compute.invalid_filter', `Invalid value '${raw}' for ${name}.`);
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 time as Nova's parse_isotime accepts it (no zone means UTC); anything else is a 400. */
function parseTime(name: string, raw: string): number {
  const m = ISO_TIME.exec(raw.trim());
  const text = m ? raw.trim().replace(' ', 'T') : '';
  const t = !m ? Number.NaN : Date.parse(m[1] || !text.includes('T') ? text : `${text}Z`);
  if (Number.isNaN(t))
    throw badRequest('compute.invalid_filter', `Invalid input for query parameters ${name}. Value: ${raw}.`);
  return t;
}

const SORT: Record<string, (r: ServerRow) => string | number> = {
  created_at: (r) => r.createdAt,
  updated_at: (r) => r.updatedAt,
  launched_at: (r) => r.launchedAt ?? 0,
  display_name: (r) => r.name,
  uuid: (r) => r.id,
  vm_state: (r) => r.vmState,
  task_state: (r) => r.taskState ?? '',
  power_state: (r) => r.powerState,
  host: (r) => r.host ?? '',
  project_id: (r) => r.projectId,
  user_id: (r) => r.userId,
  availability_zone: (r) => r.availabilityZone ?? '',
};

/** Rows matching the query for `auth`, sorted (default newest first), before paging. */
export async function queryServers(
  store: ServerStore,
  auth: AuthContext,
  q: Record<string, string>,
  portsOf: (id: string) => Promise<ServerPort[]>,
): Promise<ServerRow[]> {
  const admin = isAdmin(auth);
  const changesSince = q['changes-since'] !== undefined ? parseTime('changes-since', q['changes-since']) : undefined;
  const changesBefore =
    q['changes-before'] !== undefined ? parseTime('changes-before', q['changes-before']) : undefined;
  const deletedOnly = admin && q.deleted !== undefined && parseBool('deleted', q.deleted);
  const allTenants = admin && q.all_tenants !== undefined && parseBool('all_tenants', q.all_tenants);
  let project: string | undefined = projectOf(auth);
  if (allTenants) project = q.project_id ?? q.tenant_id;
  else if (admin && (q.project_id ?? q.tenant_id)) project = projectOf(auth);

  let rows = await store.all(changesSince !== undefined || changesBefore !== undefined || deletedOnly);
  rows = rows.filter((r) => {
    if (project !== undefined && r.projectId !== project) return false;
    if (deletedOnly && !r.deletedAt) return false;
    if (changesSince !== undefined && r.updatedAt < changesSince) return false;
    if (changesBefore !== undefined && r.updatedAt > changesBefore) return false;
    return true;
  });
  if (q.name !== undefined) {
    const re = regex(q.name);
    rows = rows.filter((r) => re.test(r.name));
  }
  if (q.status !== undefined) {
    const states = vmStatesForStatus(q.status);
    const s = q.status.toUpperCase();
    rows = rows.filter((r) => {
      if (!states.includes(r.vmState)) return false;
      if (s === 'REBOOT') return r.taskState === 'rebooting';
      if (s === 'HARD_REBOOT') return r.taskState === 'rebooting_hard';
      if (s === 'ACTIVE' || s === 'SHUTOFF') return !r.taskState?.startsWith('reboot');
      return true;
    });
  }
  if (q.image !== undefined) {
    const id = q.image.split('/').pop();
    rows = rows.filter((r) => r.imageId === id);
  }
  if (q.flavor !== undefined) {
    const id = q.flavor.split('/').pop();
    rows = rows.filter((r) => r.flavor.id === id);
  }
  if (admin && q.host !== undefined) rows = rows.filter((r) => r.host === q.host);
  if (admin && q.user_id !== undefined) rows = rows.filter((r) => r.userId === q.user_id);
  if (q.availability_zone !== undefined) rows = rows.filter((r) => r.availabilityZone === q.availability_zone);
  if (q.locked !== undefined) {
    const locked = parseBool('locked', q.locked);
    rows = rows.filter((r) => r.locked === locked);
  }
  for (const key of ['ip', 'ip6'] as const) {
    const pattern = q[key];
    if (pattern === undefined) continue;
    const re = regex(pattern);
    const keep: ServerRow[] = [];
    for (const r of rows) {
      const ports = await portsOf(r.id);
      const hit = ports.some((p) =>
        p.fixedIps.some((ip) => (key === 'ip' ? ip.version === 4 : ip.version === 6) && re.test(ip.ipAddress)),
      );
      if (hit) keep.push(r);
    }
    rows = keep;
  }

  const sortKey = q.sort_key ?? 'created_at';
  const sortDir = q.sort_dir ?? 'desc';
  const by = SORT[sortKey];
  if (!by) throw badRequest('compute.invalid_sort', `Invalid input for query parameters sort_key. Value: ${sortKey}.`);
  if (sortDir !== 'asc' && sortDir !== 'desc') {
    throw badRequest('compute.invalid_sort', `Invalid input for query parameters sort_dir. Value: ${sortDir}.`);
  }
  const sign = sortDir === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const x = by(a);
    const y = by(b);
    if (x !== y) return x < y ? -sign : sign;
    return a.id < b.id ? -sign : a.id > b.id ? sign : 0;
  });
  return rows;
}
