import { describe, expect, it } from 'vitest';
import { virtualClock } from './virtual-clock.ts';

describe('virtualClock', () => {
  it('fires events in time order, ties in scheduling order, and jumps between them', async () => {
    const c = virtualClock(1000);
    const seen: string[] = [];
    c.at(1500, () => seen.push(`b@${c.now()}`));
    c.at(1200, () => seen.push(`a@${c.now()}`));
    c.at(1500, () => seen.push(`c@${c.now()}`));
    const stop = c.every(400, () => seen.push(`tick@${c.now()}`));
    void c.sleep(50).then(() => seen.push(`slept@${c.now()}`));
    await c.runUntil(1900, async () => {
      await Promise.resolve();
    });
    stop();
    await c.runUntil(3000, async () => {});
    expect(seen).toEqual(['slept@1050', 'a@1200', 'tick@1400', 'b@1500', 'c@1500', 'tick@1800']);
    expect(c.now()).toBe(3000);
  });
});
