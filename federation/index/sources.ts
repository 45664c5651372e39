/**
 * What a site indexes: the resources it owns that clients address by id (servers, volumes, snapshots, networks,
 * subnets, ports, routers, floating IPs, security groups), read straight from its SQLite tables (one narrow query per
 * type), so no module has to call the index on every lifecycle step.
 */
import type { Client } from '@libsql/client';

/** A resource as the index records it. */
export interface IndexedResource {
  id: string;
  type: string;
  project_id: string | null;
  name: string | null;
  status: string | null;
  updated_at: number | null;
}

/** One indexed type: its name, the query listing every live resource of it, and the table it reads. */
interface Source {
  type: string;
  sql: string;
  /** A cheap aggregate over the same rows that changes whenever one is created, deleted or updated. */
  fingerprint: string;
}

/** Index types and their queries (columns: id, project_id, name, status, updated_at). */
export const SOURCES: readonly Source[] = [
  {
    type: 'server',
    sql: 'SELECT id, project_id, name, vm_state AS status, updated_at FROM compute_servers WHERE deleted_at IS NULL',
    fingerprint:
      'SELECT count(*) AS n, total(updated_at) AS t, max(updated_at) AS m FROM compute_servers WHERE deleted_at IS NULL',
  },
  {
    type: 'volume',
    sql: "SELECT id, project_id, name, status, coalesce(updated_at, created_at) AS updated_at FROM vol_volumes WHERE status <> 'deleting'",
    fingerprint:
      "SELECT count(*) AS n, total(coalesce(updated_at, created_at)) AS t, total(length(status) * rowid) AS m FROM vol_volumes WHERE status <> 'deleting'",
  },
  {
    type: 'network',
    sql: "SELECT id, project_id, name, CASE admin_state_up WHEN 1 THEN 'ACTIVE' ELSE 'DOWN' END AS status, updated_at FROM net_networks",
    fingerprint: 'SELECT count(*) AS n, total(updated_at) AS t, total(revision) AS m FROM net_networks',
  },
  {
    type: 'snapshot',
    sql: "SELECT id, project_id, name, status, coalesce(updated_at, created_at) AS updated_at FROM vol_snapshots WHERE status <> 'deleting'",
    fingerprint:
      "SELECT count(*) AS n, total(coalesce(updated_at, created_at)) AS t, total(length(status) * rowid) AS m FROM vol_snapshots WHERE status <> 'deleting'",
  },
  ...(['subnet', 'port', 'router', 'security_group'] as const).map((type) => {
    const table = `net_${type}s`;
    const status =
      type === 'port'
        ? 'status'
        : type === 'router'
          ? "CASE admin_state_up WHEN 1 THEN 'ACTIVE' ELSE 'DOWN' END"
          : 'NULL';
    return {
      type,
      sql: `SELECT id, project_id, name, ${status} AS status, updated_at FROM ${table}`,
      fingerprint: `SELECT count(*) AS n, total(updated_at) AS t, total(revision) AS m FROM ${table}`,
    };
  }),
  {
    type: 'floatingip',
    sql: "SELECT id, project_id, floating_ip_address AS name, CASE WHEN port_id IS NULL THEN 'DOWN' ELSE 'ACTIVE' END AS status, updated_at FROM net_floating_ips",
    fingerprint: 'SELECT count(*) AS n, total(updated_at) AS t, total(revision) AS m FROM net_floating_ips',
  },
];

/** The types the index knows. */
export const INDEX_TYPES: readonly string[] = SOURCES.map((s) => s.type);

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * A summary of every indexed table that changes with (almost) every create, delete and update, computed inside
 * SQLite without materialising rows: the writer skips a flush window's full scan while it is unchanged.
 */
export async function resourcesFingerprint(client: Client): Promise<string> {
  const row = (await client.execute(FINGERPRINT_SQL)).rows[0];
  return SOURCES.map((_, i) => String(row?.[`f${i}`])).join('|');
}

/**
 * Every table's summary in one statement: the writer asks once a second at every site, and a statement per table
 * (11) was most of the index's cost (a simulated federation runs a thousand sites in one process).
 */
const FINGERPRINT_SQL = `SELECT ${SOURCES.map(
  (s, i) => `(SELECT n || ':' || t || ':' || m FROM (${s.fingerprint})) AS f${i}`,
).join(', ')}`;

/** Every live resource this site owns, of every indexed type. */
export async function scanResources(client: Client): Promise<IndexedResource[]> {
  const out: IndexedResource[] = [];
  for (const s of SOURCES) {
    const rs = await client.execute(s.sql);
    for (const row of rs.rows) {
      out.push({
        id: String(row.id),
        type: s.type,
        project_id: str(row.project_id),
        name: str(row.name),
        status: str(row.status),
        updated_at: num(row.updated_at),
      });
    }
  }
  return out;
}
