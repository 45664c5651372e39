/**
 * The epoch of this site's signed-message session (`envelope.ts`): strictly greater than the previous run's, even
 * when the clock went backwards across a restart (peers drop a session older than one they have seen as replays).
 * Kept in the site's private `site_state` table.
 */
import { eq } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { siteState } from '../../edge-site/db/schema/catalog.ts';

const KEY = 'federation.session_epoch';

/** Next session epoch: max(now, last + 1), recorded before use. */
export async function nextSessionEpoch(db: LibSQLDatabase, now: number): Promise<number> {
  const rows = await db.select().from(siteState).where(eq(siteState.key, KEY));
  const last = Number(rows[0]?.value ?? 0);
  const epoch = Math.max(now, (Number.isFinite(last) ? last : 0) + 1);
  await db
    .insert(siteState)
    .values({ key: KEY, value: epoch })
    .onConflictDoUpdate({ target: siteState.key, set: { value: epoch } });
  return epoch;
}
