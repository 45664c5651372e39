/** Number of catalog peers this site cannot hear from now (Brume's addition; clients ignore unknown headers). */
export const PEERS_DOWN_HEADER = 'X-Brume-Catalog-Peers-Down';
/** Since when (ISO 8601) the catalog may lack a peer's writes; absent while every known peer is up. */
export const STALE_SINCE_HEADER = 'X-Brume-Catalog-Stale-Since';

/**
 * Honest state (DESIGN.md principle 5) on every API response: how many peers are down and since when this
 * site's view of the replicated catalog may be stale.
 */
export function honestStateHeaders(health: { down: number; staleSince: number | undefined }): Record<string, string> {
  const out: Record<string, string> = { [PEERS_DOWN_HEADER]: String(health.down) };
  if (health.staleSince !== undefined) out[STALE_SINCE_HEADER] = new Date(health.staleSince).toISOString();
  return out;
}
