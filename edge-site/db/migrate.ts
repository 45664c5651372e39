import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/libsql/migrator';
import type { SiteDatabase } from './client.ts';

const MIGRATIONS = join(import.meta.dirname, 'migrations');

/**
 * Applies every module's generated migrations (edge-site/db/migrations/<module>/, one folder and one journal table
 * per module so modules evolve independently). Idempotent; run at every start-up.
 */
export async function migrateDatabase(sdb: SiteDatabase): Promise<void> {
  if (!existsSync(MIGRATIONS)) return;
  const modules = readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const m of modules) {
    await migrate(sdb.db, { migrationsFolder: join(MIGRATIONS, m), migrationsTable: `__drizzle_migrations_${m}` });
  }
}
