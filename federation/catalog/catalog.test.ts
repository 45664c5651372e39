import { describe, expect, it } from 'vitest';
import { deleteRecord, putRecord, type RecordMap } from './changes.ts';
import { concurrentWriteConflict } from './conflicts.ts';
import { decodeEnvelope } from './envelope.ts';
import { docKeyOf, parseDocKey, SHARED_OWNER } from './layout.ts';
import { duplicateNameConflict, nameKey } from './names.ts';

const mapOf = (m: Map<string, string>): RecordMap => ({ get: (id) => m.get(id), put: (id, v) => m.set(id, v) });

describe('catalog layout', () => {
  it('puts shared records by id and owned records by their site, and parses keys back', () => {
    const k = docKeyOf('users', { id: 'u1', name: 'x', domain_id: 'd', enabled: true });
    expect(parseDocKey(k)).toMatchObject({ collection: 'users', owner: SHARED_OWNER });
    expect(k).toBe(docKeyOf('users', { id: 'u1', name: 'other', domain_id: 'e', enabled: false }));
    const r = docKeyOf('resource_index', { id: 'r', type: 'server', site_id: 'a/b', project_id: null });
    expect(parseDocKey(r)).toMatchObject({ collection: 'resource_index', owner: 'a/b' });
    expect(parseDocKey('v2/users/*/0')).toBeUndefined();
    expect(parseDocKey('v1/nope/*/0')).toBeUndefined();
  });
});

describe('change functions', () => {
  it('keep the creation stamp across updates and write tombstones once', () => {
    const m = new Map<string, string>();
    putRecord(mapOf(m), { id: 'x' }, { now: 10, site: 'a', created: 10 });
    putRecord(mapOf(m), { id: 'x' }, { now: 20, site: 'b', created: 20 });
    expect(decodeEnvelope(m.get('x'))).toEqual({ t: 20, s: 'b', c: 10, r: { id: 'x' } });
    expect(deleteRecord(mapOf(m), 'x', { now: 30, site: 'a', created: 0 })).toBe(true);
    expect(deleteRecord(mapOf(m), 'x', { now: 40, site: 'a', created: 0 })).toBe(false);
    expect(decodeEnvelope(m.get('x'))).toEqual({ t: 30, s: 'a', c: 10, d: 1 });
    expect(decodeEnvelope('not json')).toBeUndefined();
  });
});

describe('conflict entries', () => {
  const live = (s: string, t: number, r: object = { id: 'x', by: s }) => JSON.stringify({ t, s, c: 1, r });
  const dead = (s: string, t: number) => JSON.stringify({ t, s, c: 1, d: 1 });

  it('classify and identify a conflict the same way whatever the order of values', () => {
    const values = [
      { value: live('a', 5), opId: '3@61' },
      { value: dead('b', 6), opId: '3@62' },
    ];
    const one = concurrentWriteConflict('users', 'x', values, dead('b', 6), 100);
    const two = concurrentWriteConflict('users', 'x', values.toReversed(), dead('b', 6), 200);
    expect(one).toMatchObject({
      kind: 'update_after_delete',
      winner: { site_id: 'b', deleted: true },
      losers: [{ site_id: 'a', deleted: false }],
    });
    expect(two?.id).toBe(one?.id);
    expect(concurrentWriteConflict('users', 'x', values.slice(0, 1), live('a', 5), 1)).toBeUndefined();
    const upd = concurrentWriteConflict(
      'users',
      'x',
      [values[0], { value: live('c', 7), opId: '4@63' }].flatMap((v) => (v ? [v] : [])),
      live('c', 7),
      1,
    );
    expect(upd?.kind).toBe('concurrent_update');
    // The same record written concurrently (sites bootstrapping the same defaults) lost nothing: no entry.
    const same = [
      { value: live('a', 5, { id: 'x' }), opId: '3@61' },
      { value: live('b', 6, { id: 'x' }), opId: '3@62' },
    ];
    expect(concurrentWriteConflict('users', 'x', same, live('b', 6, { id: 'x' }), 1)).toBeUndefined();
  });

  it('let the lowest id keep a duplicated name', () => {
    expect(nameKey('users', { id: 'u', name: 'bob', domain_id: 'd', enabled: true })).toBe('d\u0000bob');
    expect(
      nameKey('keypairs', {
        id: 'k',
        name: 'n',
        user_id: 'u',
        public_key: '',
        fingerprint: '',
        type: 'ssh',
        created_at: 0,
      }),
    ).toBeUndefined();
    const v = (record_id: string) => ({ record_id, site_id: 's', written_at: 0, deleted: false });
    const e = duplicateNameConflict('users', 'd\u0000bob', [v('b2'), v('a1'), v('c3')], 5);
    expect(e).toMatchObject({ kind: 'duplicate_name', record_id: 'a1', winner: { record_id: 'a1' } });
    expect(e?.losers.map((l) => l.record_id)).toEqual(['b2', 'c3']);
    expect(duplicateNameConflict('users', 'd\u0000bob', [v('c3'), v('a1'), v('b2')], 9)?.id).toBe(e?.id);
  });
});
