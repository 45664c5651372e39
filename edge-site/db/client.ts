import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';

/** A site's SQLite database: the raw libsql client and the drizzle handle over it. */
export interface SiteDatabase {
  client: Client;
  db: LibSQLDatabase;
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite file at `path` — or an in-memory database for `':memory:'` — in WAL mode
 * with `synchronous=NORMAL` (durable across a process kill; a power loss may drop the last transactions).
 */
export async function openDatabase(path: string): Promise<SiteDatabase> {
  const url = path === ':memory:' ? ':memory:' : `file:${path}`;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const client = createClient({ url });
  if (path !== ':memory:') await client.execute('PRAGMA journal_mode = WAL');
  await client.execute('PRAGMA synchronous = NORMAL');
  await client.execute('PRAGMA busy_timeout = 5000');
  await client.execute('PRAGMA foreign_keys = ON');
  const db = drizzle(client);
  return { client, db, close: () => client.close() };
}
