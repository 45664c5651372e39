import { describe, expect, it } from 'vitest';
import { testDeps } from '../../edge-site/testing/deps.ts';
import { INDEX_TYPES, resourcesFingerprint } from './sources.ts';

/** Inserts a row into `table` with every NOT NULL column filled (text '', numbers 0) and the given values. */
async function insertRow(
  client: Awaited<ReturnType<typeof testDeps>>['db']['client'],
  table: string,
  values: Record<string, string | number>,
): Promise<void> {
  const cols = (await client.execute(`PRAGMA table_info(${table})`)).rows;
  const row: Record<string, string | number> = {};
  for (const c of cols) {
    if (Number(c.notnull) !== 1 || c.dflt_value !== null) continue;
    row[String(c.name)] = /INT|REAL|NUM/i.test(String(c.type)) ? 0 : '';
  }
  Object.assign(row, values);
  const names = Object.keys(row);
  await client.execute({
    sql: `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    args: names.map((n) => row[n] as string | number),
  });
}

describe('resourcesFingerprint', () => {
  it('summarises every indexed table in one answer that moves with creates and updates only', async () => {
    const { db } = await testDeps();
    const empty = await resourcesFingerprint(db.client);
    expect(empty.split('|')).toHaveLength(INDEX_TYPES.length);
    expect(await resourcesFingerprint(db.client)).toBe(empty);
    await insertRow(db.client, 'net_networks', { id: 'n1', project_id: 'p1', updated_at: 1000 });
    const created = await resourcesFingerprint(db.client);
    expect(created).not.toBe(empty);
    expect(await resourcesFingerprint(db.client)).toBe(created);
    await db.client.execute("UPDATE net_networks SET revision = revision + 1 WHERE id = 'n1'");
    expect(await resourcesFingerprint(db.client)).not.toBe(created);
  });
});
