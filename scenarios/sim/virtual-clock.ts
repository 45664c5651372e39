import type { Clock } from '../../shared/ports/clock.ts';

/** One scheduled callback of a {@link VirtualClock}. */
interface Event {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A {@link Clock} driven by a discrete-event scheduler: time never moves by itself; `runUntil` jumps from one due
 * event to the next, letting the process settle (microtasks, immediates) after each one. Ties fire in the order
 * they were scheduled, so a run replays identically.
 */
export interface VirtualClock extends Clock {
  /** Schedules `fn` at absolute virtual time `at` (ms). */
  at(at: number, fn: () => void): () => void;
  /** Fires every event due up to `until` (inclusive), in order, awaiting `settle` after each; then sets now = until. */
  runUntil(until: number, settle: () => Promise<void>): Promise<void>;
  /** Number of events fired so far (progress, resource accounting). */
  fired(): number;
}

/** A binary min-heap of events ordered by (at, seq). */
class EventHeap {
  private items: Event[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Event | undefined {
    return this.items[0];
  }
  push(e: Event): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i] as Event, a[p] as Event)) break;
      [a[i], a[p]] = [a[p] as Event, a[i] as Event];
      i = p;
    }
  }
  pop(): Event | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l] as Event, a[m] as Event)) m = l;
        if (r < a.length && before(a[r] as Event, a[m] as Event)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Event, a[i] as Event];
        i = m;
      }
    }
    return top;
  }
}

const before = (x: Event, y: Event) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

/** A virtual clock starting at `start` (ms since the epoch). */
export function virtualClock(start: number): VirtualClock {
  let now = start;
  let seq = 0;
  let fired = 0;
  const heap = new EventHeap();
  const schedule = (at: number, fn: () => void): Event => {
    const e: Event = { at: Math.max(at, now), seq: seq++, fn, cancelled: false };
    heap.push(e);
    return e;
  };
  return {
    now: () => now,
    sleep: (ms) => new Promise((resolve) => schedule(now + Math.max(0, ms), resolve)),
    every(ms, fn) {
      const period = Math.max(1, ms);
      let current: Event;
      const arm = (at: number) => {
        current = schedule(at, () => {
          arm(at + period);
          fn();
        });
      };
      arm(now + period);
      return () => {
        current.cancelled = true;
      };
    },
    at(at, fn) {
      const e = schedule(at, fn);
      return () => {
        e.cancelled = true;
      };
    },
    async runUntil(until, settle) {
      for (;;) {
        const e = heap.peek();
        if (!e || e.at > until) break;
        heap.pop();
        if (e.cancelled) continue;
        now = e.at;
        fired++;
        e.fn();
        await settle();
      }
      now = Math.max(now, until);
    },
    fired: () => fired,
  };
}
