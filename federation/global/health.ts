/**
 * Per-site circuit breakers: a site that failed `failures` times in a row is `open` (requests to it are refused at
 * once, so a dead region is not waited on for every request) until `cooldownMs` passed; then it is `half_open` and
 * exactly one request is let through as a probe — its success closes the circuit, its failure re-opens it. A probe
 * that never reported (a Worker's request context ended under it) is given up after another cooldown.
 * Time comes from `now` (a Clock), nothing runs in the background.
 */
export interface Health {
  /** True when a request may be sent to `site` now (claims the probe slot of a half-open circuit). */
  allow(site: string): boolean;
  /** True when the site is believed up (closed circuit), without claiming anything. */
  healthy(site: string): boolean;
  success(site: string): void;
  failure(site: string): void;
  /** The state of every site seen. */
  states(): Record<string, BreakerView>;
}

/** One site's breaker as reported. */
export interface BreakerView {
  state: 'closed' | 'open' | 'half_open';
  failures: number;
  /** Milliseconds since epoch of the last failure, or null. */
  last_failure: number | null;
}

interface Breaker {
  failures: number;
  openedAt: number | null;
  /** When the probe in flight was let through, or null. */
  probing: number | null;
  lastFailure: number | null;
}

/** Builds the breakers. */
export function createHealth(opts: { now: () => number; failures: number; cooldownMs: number }): Health {
  const breakers = new Map<string, Breaker>();
  const get = (site: string) => {
    let b = breakers.get(site);
    if (!b) {
      b = { failures: 0, openedAt: null, probing: null, lastFailure: null };
      breakers.set(site, b);
    }
    return b;
  };
  const state = (b: Breaker): BreakerView['state'] => {
    if (b.openedAt === null) return 'closed';
    return opts.now() - b.openedAt >= opts.cooldownMs ? 'half_open' : 'open';
  };
  return {
    allow(site) {
      const b = get(site);
      const s = state(b);
      if (s === 'closed') return true;
      if (s === 'open' || (b.probing !== null && opts.now() - b.probing < opts.cooldownMs)) return false;
      b.probing = opts.now();
      return true;
    },
    healthy: (site) => state(get(site)) === 'closed',
    success(site) {
      const b = get(site);
      b.failures = 0;
      b.openedAt = null;
      b.probing = null;
    },
    failure(site) {
      const b = get(site);
      b.failures++;
      b.lastFailure = opts.now();
      b.probing = null;
      if (b.failures >= opts.failures || b.openedAt !== null) b.openedAt = opts.now();
    },
    states() {
      const out: Record<string, BreakerView> = {};
      for (const [site, b] of breakers)
        out[site] = { state: state(b), failures: b.failures, last_failure: b.lastFailure };
      return out;
    },
  };
}
