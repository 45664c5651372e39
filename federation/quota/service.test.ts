import { afterEach, describe, expect, it } from 'vitest';
import { createEscrowFederation, type EscrowFederation, totalUsed } from './testing.ts';

const P = 'proj';
const R = 'compute.instances';

/** Takes one at a time at `site` until refused; returns how many it got. */
async function fill(fed: EscrowFederation, site: string, limit = 10): Promise<number> {
  let n = 0;
  while ((await fed.site(site).take(P, R, 1, limit)).ok) n++;
  return n;
}

describe('quota escrow (3 sites, memory transport, manual clock)', () => {
  let fed: EscrowFederation | undefined;
  afterEach(async () => {
    await fed?.close();
    fed = undefined;
  });

  it('splits the default limit, and a site short of share gets more from connected peers', async () => {
    fed = await createEscrowFederation(['a', 'b', 'c']);
    // a consumes the whole federation-wide limit by asking b and c, then is refused.
    expect(await fill(fed, 'a')).toBe(10);
    const refused = await fed.site('a').take(P, R, 1);
    expect(refused).toEqual({ ok: false, share: 10, unreachable: [] });
    await fed.settle();
    expect(await fill(fed, 'b')).toBe(0);
    // a releases 4; b asks a for them.
    fed.site('a').release(P, R, 4);
    expect(await fill(fed, 'b')).toBe(4);
    expect(totalUsed(fed, P, R)).toBe(10);
    await fed.settle();
    const status = fed.site('c').escrow.status(P);
    expect(status).toHaveLength(1);
    const spend = Object.values(status[0]?.sites ?? {}).reduce((n, s) => n + s.spendable, 0);
    expect(spend).toBe(10);
  });

  it('holds the limit while partitioned: both sides consume until refused; after heal, total ≤ limit', async () => {
    fed = await createEscrowFederation(['a', 'b', 'c']);
    expect(await fed.site('a').take(P, R, 1)).toEqual({ ok: true });
    await fed.settle();
    fed.net.partition([['a'], ['b', 'c']]);
    await fed.settle();
    const gotA = await fill(fed, 'a');
    const gotB = await fill(fed, 'b');
    const gotC = await fill(fed, 'c');
    // a's share is 4 (10 over 3 sites: 4/3/3); b took c's share too.
    expect(1 + gotA).toBe(4);
    expect(gotB).toBe(6);
    expect(gotC).toBe(0);
    const refused = await fed.site('c').take(P, R, 1);
    expect(refused).toEqual({ ok: false, share: 0, unreachable: ['a'] });
    expect(totalUsed(fed, P, R)).toBe(10);
    fed.net.heal();
    await fed.settle();
    expect(totalUsed(fed, P, R)).toBeLessThanOrEqual(10);
    // Rebalancing after heal: c gets share from a once a frees some.
    fed.site('a').release(P, R, 2);
    expect(await fill(fed, 'c')).toBe(2);
    expect(totalUsed(fed, P, R)).toBe(10);
  });

  it('an admin limit set at one site re-splits it everywhere; -1 is unlimited', async () => {
    fed = await createEscrowFederation(['a', 'b', 'c']);
    await fed.site('b').escrow.setLimit(P, R, 3);
    await fed.settle();
    expect(fed.site('a').escrow.limitOf(P, R)).toBe(3);
    fed.net.partition([['a'], ['b'], ['c']]);
    expect(await fill(fed, 'a', 10)).toBe(1);
    expect(await fill(fed, 'b', 10)).toBe(1);
    expect(await fill(fed, 'c', 10)).toBe(1);
    fed.net.heal();
    await fed.site('a').escrow.setLimit(P, R, -1);
    await fed.settle();
    expect(await fed.site('c').take(P, R, 100)).toEqual({ ok: true });
    await fed.site('a').escrow.resetLimit(P, R);
    await fed.settle();
    expect(fed.site('c').escrow.limitOf(P, R)).toBeUndefined();
  });

  it('a re-split keeps what each site holds: setting a limit again or raising it never lets the total exceed it', async () => {
    fed = await createEscrowFederation(['a', 'b', 'c']);
    const round = async (limit: number) => {
      await fed?.settle();
      fed?.net.partition([['a'], ['b'], ['c']]);
      const got = [];
      for (const s of ['a', 'b', 'c']) got.push(fed ? await fill(fed, s, limit) : 0);
      fed?.net.heal();
      return got;
    };
    await fed.site('a').escrow.setLimit(P, R, 2);
    expect(await round(2)).toEqual([1, 1, 0]);
    // Raised to 4: the 2 more go to a and b (the first sites), so shares are now 2/2/0, not an even 2/1/1.
    await fed.site('c').escrow.setLimit(P, R, 4);
    expect(await round(4)).toEqual([1, 1, 0]);
    // Set to 4 again: an even re-split (2/1/1) would let c take one while a and b already hold 2 each.
    await fed.site('b').escrow.setLimit(P, R, 4);
    expect(await round(4)).toEqual([0, 0, 0]);
    expect(totalUsed(fed, P, R)).toBe(4);
    // Reset to the sites' own default (5 here): re-split from the current shares (+1 for a), not from scratch.
    await fed.site('a').escrow.resetLimit(P, R);
    await fed.settle();
    expect(fed.site('b').escrow.limitOf(P, R)).toBeUndefined();
    expect(await round(5)).toEqual([1, 0, 0]);
    expect(totalUsed(fed, P, R)).toBe(5);
  });

  it('a lowered limit comes first out of the unused share of the site where it is set', async () => {
    fed = await createEscrowFederation(['a', 'b', 'c']);
    await fed.site('a').escrow.setLimit(P, R, 9);
    await fed.settle();
    fed.net.partition([['a'], ['b'], ['c']]);
    expect(await fill(fed, 'b', 9)).toBe(3);
    expect(await fill(fed, 'c', 9)).toBe(3);
    fed.net.heal();
    await fed.settle();
    // a holds 3 unused: lowering to 6 at a takes them from a, so b and c keep theirs and the total holds.
    await fed.site('a').escrow.setLimit(P, R, 6);
    await fed.settle();
    const [status] = fed.site('b').escrow.status(P);
    expect(status?.sites).toMatchObject({ a: { share: 0 }, b: { share: 3 }, c: { share: 3 } });
    fed.net.partition([['a'], ['b'], ['c']]);
    for (const s of ['a', 'b', 'c']) expect(await fill(fed, s, 6)).toBe(0);
    expect(totalUsed(fed, P, R)).toBe(6);
  });
});
