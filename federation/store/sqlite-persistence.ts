import type { Client, InStatement } from '@libsql/client';
import Database from 'libsql';
import type { ConflictEntry } from '../catalog/conflicts.ts';
import type { CatalogPersistence, DocChunk } from './persistence.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS federation_doc_chunks (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, bytes BLOB NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS federation_doc_chunks_doc ON federation_doc_chunks (doc, seq)',
  `CREATE TABLE IF NOT EXISTS federation_conflicts (
     id TEXT PRIMARY KEY, detected_at INTEGER NOT NULL, data TEXT NOT NULL)`,
];
const INSERT_CHUNK = 'INSERT INTO federation_doc_chunks (doc, bytes) VALUES (?, ?)';
const INSERT_CONFLICT = 'INSERT OR IGNORE INTO federation_conflicts (id, detected_at, data) VALUES (?, ?, ?)';
const DELETE_DOC = 'DELETE FROM federation_doc_chunks WHERE doc = ?';
const SELECT_ALL = 'SELECT doc, bytes FROM federation_doc_chunks ORDER BY seq';
const SELECT_DOC = 'SELECT bytes FROM federation_doc_chunks WHERE doc = ? ORDER BY seq';
const SELECT_CONFLICTS = 'SELECT data FROM federation_conflicts ORDER BY detected_at, id';
const SELECT_SIZE = 'SELECT COALESCE(SUM(LENGTH(bytes)), 0) AS n FROM federation_doc_chunks';

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return value;
  throw new Error('federation_doc_chunks.bytes is not a blob');
}

/**
 * {@link CatalogPersistence} in the site's SQLite database (a `SiteDatabase` from edge-site/db/client.ts fits).
 * Federation's own tables, created here with `IF NOT EXISTS` rather than through the site's drizzle migrations so
 * that the catalog can be opened on any libSQL client (benchmarks, tools) without the edge site.
 *
 * For a database file, chunks go through a connection of its own with prepared statements reused: each
 * `client.execute` of @libsql/client prepares a statement and keeps ~5 KB of native memory (bench/catalog.ts: the
 * writer of 100k records grew by ~150 MiB and spent ~3x the CPU per insert). An in-memory database exists on the
 * client's connection only: it goes through the client.
 */
export async function sqlitePersistence(sdb: { client: Client }): Promise<CatalogPersistence> {
  const { client } = sdb;
  await client.batch(SCHEMA, 'write');
  const main = await client.execute("SELECT file FROM pragma_database_list WHERE name = 'main'");
  const file = String(main.rows[0]?.file ?? '');
  return file === '' ? clientPersistence(client) : filePersistence(file);
}

/** Its own connection to the database file, statements prepared once. */
function filePersistence(file: string): CatalogPersistence {
  const db = new Database(file, { timeout: 5000 });
  db.exec('PRAGMA synchronous = NORMAL');
  const insertChunk = db.prepare(INSERT_CHUNK);
  const insertConflict = db.prepare(INSERT_CONFLICT);
  const deleteDoc = db.prepare(DELETE_DOC);
  const selectDoc = db.prepare(SELECT_DOC);
  /** Runs `work` in one write transaction (atomic: rolled back if it throws). */
  const inTransaction = (work: () => void) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      work();
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
  const blob = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  // libsql's prepared statements keep running after `close()`: refuse instead.
  let closed = false;
  const check = () => {
    if (closed) throw new Error('catalog persistence is closed');
  };
  return {
    async loadDocs() {
      const out = new Map<string, Uint8Array[]>();
      for (const row of db.prepare(SELECT_ALL).all() as Array<{ doc: string; bytes: unknown }>) {
        let list = out.get(row.doc);
        if (!list) {
          list = [];
          out.set(row.doc, list);
        }
        list.push(bytesOf(row.bytes));
      }
      return out;
    },
    async loadDoc(doc) {
      check();
      return (selectDoc.all(doc) as Array<{ bytes: unknown }>).map((r) => bytesOf(r.bytes));
    },
    async append(chunks, conflicts = []) {
      check();
      const [only] = chunks;
      // One statement commits atomically on its own, without a BEGIN/COMMIT round.
      if (chunks.length === 1 && conflicts.length === 0 && only) {
        insertChunk.run(only.doc, blob(only.bytes));
        return;
      }
      if (chunks.length === 0 && conflicts.length === 0) return;
      inTransaction(() => {
        for (const c of chunks) insertChunk.run(c.doc, blob(c.bytes));
        for (const e of conflicts) insertConflict.run(e.id, e.detected_at, JSON.stringify(e));
      });
    },
    async compact(doc, snapshot) {
      check();
      inTransaction(() => {
        deleteDoc.run(doc);
        insertChunk.run(doc, blob(snapshot));
      });
    },
    async loadConflicts() {
      const rows = db.prepare(SELECT_CONFLICTS).all() as Array<{ data: string }>;
      return rows.map((r) => JSON.parse(String(r.data)) as ConflictEntry);
    },
    async size() {
      const row = db.prepare(SELECT_SIZE).get() as { n: number | bigint } | undefined;
      return Number(row?.n ?? 0);
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

/** Through the libSQL client (an in-memory database). */
function clientPersistence(client: Client): CatalogPersistence {
  const chunkInsert = (c: DocChunk): InStatement => ({ sql: INSERT_CHUNK, args: [c.doc, c.bytes] });
  return {
    async loadDocs() {
      const rs = await client.execute(SELECT_ALL);
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
      const rs = await client.execute({ sql: SELECT_DOC, args: [doc] });
      return rs.rows.map((r) => bytesOf(r.bytes));
    },
    async append(chunks, conflicts = []) {
      const stmts: InStatement[] = chunks.map(chunkInsert);
      for (const e of conflicts) stmts.push({ sql: INSERT_CONFLICT, args: [e.id, e.detected_at, JSON.stringify(e)] });
      // One statement commits atomically on its own; a batch costs a BEGIN/COMMIT round (~3x slower in libsql).
      const [only] = stmts;
      if (stmts.length === 1 && only) await client.execute(only);
      else if (stmts.length > 1) await client.batch(stmts, 'write');
    },
    async compact(doc, snapshot) {
      await client.batch([{ sql: DELETE_DOC, args: [doc] }, chunkInsert({ doc, bytes: snapshot })], 'write');
    },
    async loadConflicts() {
      const rs = await client.execute(SELECT_CONFLICTS);
      return rs.rows.map((r) => JSON.parse(String(r.data)) as ConflictEntry);
    },
    async size() {
      const rs = await client.execute(SELECT_SIZE);
      return Number(rs.rows[0]?.n ?? 0);
    },
    async close() {},
  };
}
