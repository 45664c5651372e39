/**
 * Partition-safe quota escrow, the arithmetic (pure). A project's federation-wide limit of one resource is split
 * into per-site shares (a limit change re-splits them: {@link resplit}). A site may move share to another only by growing its own
 * cumulative `given` counter (a record only it writes), so replicas never disagree about a transfer, only lag:
 *
 *   spendable(s) = share(s) + Σ given[g → s] − Σ given[s → r]
 *
 * Σ spendable over all sites = limit, whatever the interleaving. A site's own `given` is exact in its own view and
 * what it has received may lag (a grant not replicated yet), so its view of its spendable share is never above the
 * truth. Each site keeps `used ≤ its spendable` and gives only from `spendable − used`, hence Σ used ≤ limit even
 * while partitioned.
 */

/** One site's view of a split: the shares and the grants it knows of. */
export interface EscrowView {
  limit: number;
  version: string;
  shares: Readonly<Record<string, number>>;
  /** giver -> receiver -> cumulative amount given (counters outlive splits: a re-split keeps relative shares). */
  given: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Splits `limit` equally over `sites` (sorted); the remainder goes one each to the first sites. Deterministic. */
export function splitLimit(limit: number, sites: readonly string[]): Record<string, number> {
  const ids = [...new Set(sites)].sort();
  const out: Record<string, number> = {};
  if (ids.length === 0 || limit < 0) return out;
  const base = Math.floor(limit / ids.length);
  const rest = limit - base * ids.length;
  ids.forEach((id, i) => {
    out[id] = base + (i < rest ? 1 : 0);
  });
  return out;
}

/**
 * The shares after a limit change from `from` to `to`: the old shares plus an even split of the difference over
 * `sites` (a site new since the last split starts from 0). Shares keep what each site holds relative to the others,
 * so grants stay valid across changes and Σ shares = `to`. Without old shares, or from or to unlimited (-1): a fresh
 * {@link splitLimit}. A decrease may leave a share below what its site consumes: that site consumes nothing more
 * until it is back under it (like Nova, which keeps usage above a lowered limit).
 */
export function resplit(
  old: Readonly<Record<string, number>> | undefined,
  from: number,
  to: number,
  sites: readonly string[],
): Record<string, number> {
  if (!old || from < 0 || to < 0) return splitLimit(to, sites);
  const ids = [...new Set([...sites, ...Object.keys(old)])].sort();
  const delta = splitLimit(Math.abs(to - from), ids);
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (old[id] ?? 0) + Math.sign(to - from) * (delta[id] ?? 0);
  return out;
}

/** What `site` has received from every other site. */
export function received(view: EscrowView, site: string): number {
  let n = 0;
  for (const [giver, to] of Object.entries(view.given)) if (giver !== site) n += to[site] ?? 0;
  return n;
}

/** What `site` has given away. */
export function givenAway(view: EscrowView, site: string): number {
  let n = 0;
  for (const [to, amount] of Object.entries(view.given[site] ?? {})) if (to !== site) n += amount;
  return n;
}

/** The share `site` may consume: its initial share, plus what it received, minus what it gave. */
export function spendable(view: EscrowView, site: string): number {
  return (view.shares[site] ?? 0) + received(view, site) - givenAway(view, site);
}

/** How much a site with `spare` unused share grants to a peer short of `need`: the need, or half its spare if more (fewer round trips in a burst), never more than its spare. */
export function grantAmount(spare: number, need: number): number {
  if (spare <= 0 || need <= 0) return 0;
  return Math.min(spare, Math.max(need, Math.ceil(spare / 2)));
}

/** Merges two views of one version's `given` counters: each counter only grows, so the larger value is newer. */
export function mergeGiven(a: EscrowView['given'], b: EscrowView['given']): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const src of [a, b]) {
    for (const [giver, to] of Object.entries(src)) {
      const row = out[giver] ?? {};
      out[giver] = row;
      for (const [r, amount] of Object.entries(to)) row[r] = Math.max(row[r] ?? 0, amount);
    }
  }
  return out;
}
