import type { Client, InStatement } from '@libsql/client';
import type { ConflictEntry } from '../catalog/conflicts.ts';
import type { CatalogPersistence, DocChunk } from './persistence.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS federation_doc_chunks (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, bytes BLOB NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS federation_doc_chunks_doc ON federation_doc_chunks (doc, seq)',
  `CREATE TABLE IF NOT EXISTS federation_conflicts (
     id TEXT PRIMARY KEY, detected_at INTEGER NOT NULL, data TEXT NOT NULL)`,
];

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return value;
  throw new Error('federation_doc_chunks.bytes is not a blob');
}

/**
 * {@link CatalogPersistence} in the site's SQLite database (a `SiteDatabase` from edge-site/db/client.ts fits).
 * Federation's own tables, created here with `IF NOT EXISTS` rather than through the site's drizzle migrations so
 * that the catalog can be opened on any libSQL client (benchmarks, tools) without the edge site.
 */
export async function sqlitePersistence(sdb: { client: Client }): Promise<CatalogPersistence> {
  const { client } = sdb;
  await client.batch(SCHEMA, 'write');
  const chunkInsert = (c: DocChunk): InStatement => ({
    sql: 'INSERT INTO federation_doc_chunks (doc, bytes) VALUES (?, ?)',
    args: [c.doc, c.bytes],
  });
  return {
    async loadDocs() {
      const rs = await client.execute('SELECT doc, bytes FROM federation_doc_chunks ORDER BY seq');
      const out = new Map<string, Uint8Array[]>();
      for (const row of rs.rows) {
        const doc = String(row.doc);
        let list = out.get(doc);
        if (!list) {
          list = [];
          out.set(doc, list);
        }
        list.push(bytesOf(row.bytes));
      }
      return out;
    },
    async loadDoc(doc) {
      const rs = await client.execute({
        sql: 'SELECT bytes FROM federation_doc_chunks WHERE doc = ? ORDER BY seq',
        args: [doc],
      });
      return rs.rows.map((r) => bytesOf(r.bytes));
    },
    async append(chunks, conflicts = []) {
      const stmts: InStatement[] = chunks.map(chunkInsert);
      for (const e of conflicts) {
        stmts.push({
          sql: 'INSERT OR IGNORE INTO federation_conflicts (id, detected_at, data) VALUES (?, ?, ?)',
          args: [e.id, e.detected_at, JSON.stringify(e)],
        });
      }
      // One statement commits atomically on its own; a batch costs a BEGIN/COMMIT round (~3x slower in libsql).
      const [only] = stmts;
      if (stmts.length === 1 && only) await client.execute(only);
      else if (stmts.length > 1) await client.batch(stmts, 'write');
    },
    async compact(doc, snapshot) {
      await client.batch(
        [
          { sql: 'DELETE FROM federation_doc_chunks WHERE doc = ?', args: [doc] },
          chunkInsert({ doc, bytes: snapshot }),
        ],
        'write',
      );
    },
    async loadConflicts() {
      const rs = await client.execute('SELECT data FROM federation_conflicts ORDER BY detected_at, id');
      return rs.rows.map((r) => JSON.parse(String(r.data)) as ConflictEntry);
    },
    async size() {
      const rs = await client.execute('SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS n FROM federation_doc_chunks');
      return Number(rs.rows[0]?.n ?? 0);
    },
    async close() {},
  };
}
