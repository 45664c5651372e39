import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge-site/db/client.ts';
import type { ConflictEntry } from '../catalog/conflicts.ts';
import { sqlitePersistence } from './sqlite-persistence.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'brume-sqlite-persistence-'));
  dirs.push(dir);
  return join(dir, 'site.db');
};
const bytes = (...b: number[]) => new Uint8Array(b);
const conflict = (id: string, at: number) => ({ id, detected_at: at }) as unknown as ConflictEntry;

describe.each([
  ['a database file (own connection)', tempFile],
  ['an in-memory database (through the client)', () => ':memory:'],
])('SQLite catalog persistence on %s', (_name, path) => {
  it('stores chunks in write order, compacts a document and keeps the conflict ledger', async () => {
    const sdb = await openDatabase(path());
    const p = await sqlitePersistence(sdb);
    await p.append([{ doc: 'x', bytes: bytes(1) }]);
    await p.append(
      [
        { doc: 'y', bytes: bytes(2) },
        { doc: 'x', bytes: bytes(3, 4) },
      ],
      [conflict('c2', 2), conflict('c1', 1)],
    );
    await p.append([], [conflict('c1', 1)]); // already stored: no-op
    expect(await p.loadDoc('x')).toEqual([bytes(1), bytes(3, 4)]);
    expect(await p.loadDoc('nope')).toEqual([]);
    expect(await p.size()).toBe(4);
    await p.compact('x', bytes(9, 9, 9));
    const docs = await p.loadDocs();
    expect([...docs.keys()].sort()).toEqual(['x', 'y']);
    expect(docs.get('x')).toEqual([bytes(9, 9, 9)]);
    expect((await p.loadConflicts()).map((c) => c.id)).toEqual(['c1', 'c2']);
    await p.close();
    sdb.close();
  });
});

describe('SQLite catalog persistence on a database file', () => {
  it('is durable across a reopen of the file, next to the site client that shares it', async () => {
    const file = tempFile();
    const sdb = await openDatabase(file);
    const p = await sqlitePersistence(sdb);
    await p.append([{ doc: 'x', bytes: bytes(1, 2) }], [conflict('c1', 1)]);
    await sdb.client.execute('CREATE TABLE other (id TEXT)'); // the site writes its own tables meanwhile
    await p.append([{ doc: 'x', bytes: bytes(3) }]);
    await p.close();
    sdb.close();
    const again = await openDatabase(file);
    const q = await sqlitePersistence(again);
    expect((await q.loadDocs()).get('x')).toEqual([bytes(1, 2), bytes(3)]);
    expect((await q.loadConflicts()).map((c) => c.id)).toEqual(['c1']);
    const rs = await again.client.execute('SELECT COUNT(*) AS n FROM federation_doc_chunks');
    expect(Number(rs.rows[0]?.n)).toBe(2);
    await q.close();
    again.close();
  });

  it('rejects an append after close and stores nothing of it', async () => {
    const file = tempFile();
    const sdb = await openDatabase(file);
    const p = await sqlitePersistence(sdb);
    await p.close();
    await expect(p.append([{ doc: 'x', bytes: bytes(1) }])).rejects.toThrow();
    const q = await sqlitePersistence(sdb);
    expect(await q.loadDocs()).toEqual(new Map());
    await q.close();
    sdb.close();
  });
});
