/**
 * Device tags of interfaces (Nova's `tag` on os-interface attach, 2.49+): stored per port, shown by os-interface
 * (2.70+) and handed to the metadata service as the `devices` of meta_data.json.
 */
import { and, eq } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { deviceTags } from '../db/schema/device-tags.ts';

/** Records `tag` for `portId` on `serverId` (replacing an earlier one). */
export async function setInterfaceTag(db: LibSQLDatabase, serverId: string, portId: string, tag: string) {
  await db
    .insert(deviceTags)
    .values({ portId, serverId, tag })
    .onConflictDoUpdate({ target: deviceTags.portId, set: { serverId, tag } });
}

/** The tags of a server's interfaces by port id. */
export async function interfaceTags(db: LibSQLDatabase, serverId: string): Promise<Map<string, string>> {
  const rows = await db.select().from(deviceTags).where(eq(deviceTags.serverId, serverId));
  return new Map(rows.map((r) => [r.portId, r.tag]));
}

/** Forgets a port's tag (detach). */
export async function dropInterfaceTag(db: LibSQLDatabase, serverId: string, portId: string) {
  await db.delete(deviceTags).where(and(eq(deviceTags.serverId, serverId), eq(deviceTags.portId, portId)));
}
