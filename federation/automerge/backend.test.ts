import { describe, expect, it } from 'vitest';
import { loadDoc, newDoc, reserveMemory } from './backend.ts';

/** A document written in three commits, stored as a snapshot of the first plus two incremental chunks. */
function stored() {
  const d = newDoc('aa');
  const chunks: Uint8Array[] = [];
  d.put('_root', 'r1', 'one');
  d.commit(null, 0);
  chunks.push(d.save());
  let saved = d.getHeads();
  for (const [k, v] of [
    ['r2', 'two'],
    ['r1', 'uno'],
  ] as const) {
    d.put('_root', k, v);
    d.commit(null, 0);
    chunks.push(d.saveSince(saved));
    saved = d.getHeads();
  }
  return { d, chunks };
}

describe('loadDoc', () => {
  it('rebuilds a snapshot plus incremental chunks in one load, as the chunk-by-chunk path does', () => {
    const { d, chunks } = stored();
    const loaded = loadDoc('bb', chunks);
    const stepwise = newDoc('bb');
    for (const c of chunks) stepwise.loadIncremental(c);
    expect(loaded.getHeads().sort()).toEqual(d.getHeads().sort());
    expect(stepwise.getHeads().sort()).toEqual(d.getHeads().sort());
    expect(loaded.materialize('/')).toEqual({ r1: 'uno', r2: 'two' });
    expect(loaded.get('_root', 'r1')).toBe('uno');
    // The loaded document writes as its own actor.
    loaded.put('_root', 'r3', 'three');
    loaded.commit(null, 0);
    expect(loaded.getActorId()).toBe('bb');
  });

  it('falls back to chunk by chunk for chunks that load refuses, and loads nothing as an empty doc', () => {
    const { chunks } = stored();
    const tail = loadDoc('bb', [chunks[2] ?? new Uint8Array(), new Uint8Array([1, 2, 3])].slice(0, 1));
    expect(tail.getHeads()).toEqual([]); // its dependency is missing: queued, not applied
    expect(loadDoc('bb', []).getHeads()).toEqual([]);
  });

  it('still loads documents after wasm memory was reserved', () => {
    const { d, chunks } = stored();
    reserveMemory(8 * 1024 * 1024);
    reserveMemory(4 * 1024 * 1024); // smaller than what is reserved: nothing to do
    expect(loadDoc('cc', chunks).getHeads().sort()).toEqual(d.getHeads().sort());
  });
});
