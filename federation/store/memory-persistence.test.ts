import { describe, expect, it } from 'vitest';
import { memoryPersistence } from './memory-persistence.ts';

describe('memoryPersistence', () => {
  it('copies the bytes it is given by default', async () => {
    const p = memoryPersistence();
    const bytes = new Uint8Array([1, 2, 3]);
    await p.append([{ doc: 'd', bytes }]);
    bytes[0] = 9;
    expect([...((await p.loadDoc('d'))[0] ?? [])]).toEqual([1, 2, 3]);
  });

  it('keeps whole arrays by reference when sharing, and copies views into larger buffers', async () => {
    const p = memoryPersistence({ shareBytes: true });
    const whole = new Uint8Array([1, 2, 3]);
    const frame = new Uint8Array([7, 4, 5, 6, 7]);
    const view = frame.subarray(1, 4);
    await p.append([
      { doc: 'a', bytes: whole },
      { doc: 'b', bytes: view },
    ]);
    expect((await p.loadDocs()).get('a')?.[0]).toBe(whole);
    const b = (await p.loadDoc('b'))[0];
    expect(b).not.toBe(view);
    expect(b?.buffer.byteLength).toBe(3);
    expect([...(b ?? [])]).toEqual([4, 5, 6]);

    const snapshot = new Uint8Array([8]);
    await p.compact('a', snapshot);
    expect(await p.loadDoc('a')).toEqual([snapshot]);
    expect((await p.loadDoc('a'))[0]).toBe(snapshot);
    expect(await p.size()).toBe(4);
  });
});
