/**
 * What this site consumes of each escrowed resource, counted the way its services count it (edge-site/compute,
 * volume, network quotas), read from its SQLite tables when a peer asks for share.
 */
import type { Client } from '@libsql/client';

const COUNTS: Record<string, string> = {
  'compute.instances': 'SELECT count(*) AS n FROM compute_servers WHERE deleted_at IS NULL AND project_id = ?',
  'compute.cores':
    "SELECT coalesce(sum(json_extract(flavor, '$.vcpus')), 0) AS n FROM compute_servers WHERE deleted_at IS NULL AND project_id = ?",
  'compute.ram':
    "SELECT coalesce(sum(json_extract(flavor, '$.ram')), 0) AS n FROM compute_servers WHERE deleted_at IS NULL AND project_id = ?",
  'volume.volumes': "SELECT count(*) AS n FROM vol_volumes WHERE status <> 'deleting' AND project_id = ?",
  'volume.snapshots': "SELECT count(*) AS n FROM vol_snapshots WHERE status <> 'deleting' AND project_id = ?",
  'volume.gigabytes':
    "SELECT (SELECT coalesce(sum(size_gib), 0) FROM vol_volumes WHERE status <> 'deleting' AND project_id = ?1) + (SELECT coalesce(sum(size_gib), 0) FROM vol_snapshots WHERE status <> 'deleting' AND project_id = ?1) AS n",
  'network.network': 'SELECT count(*) AS n FROM net_networks WHERE project_id = ?',
  'network.subnet': 'SELECT count(*) AS n FROM net_subnets WHERE project_id = ?',
  'network.port': 'SELECT count(*) AS n FROM net_ports WHERE project_id = ?',
  'network.router': 'SELECT count(*) AS n FROM net_routers WHERE project_id = ?',
  'network.floatingip': 'SELECT count(*) AS n FROM net_floating_ips WHERE project_id = ?',
  'network.security_group': 'SELECT count(*) AS n FROM net_security_groups WHERE project_id = ?',
  'network.security_group_rule': 'SELECT count(*) AS n FROM net_security_group_rules WHERE project_id = ?',
};

/** The escrowed resources this site can count. */
export const ESCROWED_RESOURCES: readonly string[] = Object.keys(COUNTS);

/** A usage function over the site database. Unknown resources count as fully used (nothing is given from them). */
export function sqliteUsage(client: Client): (projectId: string, resource: string) => Promise<number> {
  return async (projectId, resource) => {
    const sql = COUNTS[resource];
    if (!sql) return Number.MAX_SAFE_INTEGER;
    const rs = await client.execute({ sql, args: [projectId] });
    return Number(rs.rows[0]?.n ?? 0);
  };
}
