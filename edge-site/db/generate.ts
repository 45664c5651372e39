/**
 * Generates SQL migrations for every schema module: `npm run db:generate` after changing edge-site/db/schema/<m>.ts.
 * Each module gets its own folder so several modules can evolve without sharing one journal.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const schemaDir = join(import.meta.dirname, 'schema');
const only = process.argv.slice(2);
for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
  const m = file.replace(/\.ts$/, '');
  if (only.length > 0 && !only.includes(m)) continue;
  const r = spawnSync(
    'drizzle-kit',
    ['generate', '--dialect=sqlite', `--schema=edge-site/db/schema/${file}`, `--out=edge-site/db/migrations/${m}`],
    { cwd: root, stdio: 'inherit' },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}
