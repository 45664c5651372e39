/**
 * The quota escrow of one federated site (the arithmetic is in escrow.ts): reads splits (`quota_limits`) and
 * grants (`quota_grants`, written only by the giving site) from the replicated catalog, answers peers' asks from its
 * unused share, and asks reachable peers when a reservation exceeds its own. A grant is durable at the giver before
 * the answer leaves it, so the asker may count it at once (before the grant record replicates).
 */
import type { EscrowVerdict, QuotaEscrow } from '../../edge-site/services.ts';
import type { CatalogStore, CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { Transport, TransportMessage } from '../../shared/ports/transport.ts';
import type { QuotaGrant, QuotaLimit } from '../../shared/schemas/catalog/index.ts';
import { digest } from '../catalog/layout.ts';
import { type EscrowView, givenAway, grantAmount, mergeGiven, received, resplit, spendable } from './escrow.ts';
import { type AskMessage, decodeEscrow, encodeEscrow, type GrantMessage } from './wire.ts';

/** Options of {@link startQuotaEscrow}. */
export interface QuotaEscrowOptions {
  siteId: string;
  catalog: CatalogStore;
  transport: Transport;
  clock: Clock;
  log: Logger;
  /** This site's current consumption of a resource by a project (what its services count). */
  usage(projectId: string, resource: string): Promise<number>;
  /** How long to wait for a peer's answer (default 3 s of the clock). */
  askTimeoutMs?: number;
  /** Period of publishing this site's consumption in its grant records, for readers elsewhere (default 10 s). */
  publishMs?: number;
  /** How long at most a reservation counts as used before its resource shows in `usage` (default 15 s). */
  holdMs?: number;
}

/** One resource's escrow state at this site (API, tests). */
export interface EscrowStatus {
  resource: string;
  limit: number;
  version: string;
  explicit: boolean;
  /** Per site: initial share, received, given, spendable, and its published consumption — as known here. */
  sites: Record<
    string,
    { share: number; received: number; given: number; spendable: number; used: number | null; used_at: number | null }
  >;
}

/** The escrow of a federated site. */
export interface QuotaEscrowService extends QuotaEscrow {
  /** Escrow state of every resource of a project known here. */
  status(projectId: string): EscrowStatus[];
  /** Publishes this site's consumption of every resource it reserved or gave (also done every `publishMs`). */
  publish(): Promise<void>;
  stop(): void;
}

const keyOf = (projectId: string, resource: string) => `${projectId}:${resource}`;

/** Starts the escrow: registers the transport handler for peers' asks. */
export function startQuotaEscrow(o: QuotaEscrowOptions): QuotaEscrowService {
  const self = o.siteId;
  const timeout = o.askTimeoutMs ?? 3000;
  const holdMs = o.holdMs ?? 15_000;
  const locks = new Map<string, Promise<unknown>>();
  /** Grants peers answered with, durable at the giver but maybe not replicated here yet: giver -> self -> n. */
  const promised = new Map<string, Record<string, Record<string, number>>>();
  /** Reservations granted here whose resource may not show in `usage` yet: the usage level they lead to. */
  const holds = new Map<string, Array<{ level: number; until: number }>>();
  const waiting = new Map<string, (m: GrantMessage) => void>();
  /** Peers this site has received messages from: their messages pass, so ours likely reach them too. */
  const heard = new Set<string>();
  /** Resources this site has reserved or given (or published before): their consumption is published. */
  const touched = new Map<string, { projectId: string; resource: string }>();
  for (const g of o.catalog.list('quota_grants')) {
    if (g.site_id === self)
      touched.set(keyOf(g.project_id, g.resource), { projectId: g.project_id, resource: g.resource });
  }
  let seq = 0;

  /** Runs `fn` alone for one (project, resource): grants and local reservations never interleave. */
  const locked = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => {});
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return run;
  };

  const knownSites = (): string[] => [...new Set([self, ...o.catalog.list('sites').map((s) => s.id)])].sort();

  const viewOf = (split: QuotaLimit): EscrowView => {
    const key = keyOf(split.project_id, split.resource);
    const fromCatalog: Record<string, Record<string, number>> = {};
    for (const site of new Set([...knownSites(), ...Object.keys(split.shares ?? {})])) {
      const g = o.catalog.get('quota_grants', `${site}:${key}`);
      if (g) fromCatalog[site] = g.given;
    }
    const p = promised.get(key);
    const given = p ? mergeGiven(fromCatalog, p) : fromCatalog;
    return { limit: split.limit, version: split.version ?? '', shares: split.shares ?? {}, given };
  };

  /** Consumption counting reservations not yet visible in `used`; holds `used` has reached are done. */
  const effectiveUse = (key: string, used: number): number => {
    const now = o.clock.now();
    const live = (holds.get(key) ?? []).filter((h) => h.until > now && h.level > used);
    if (live.length === 0) holds.delete(key);
    else holds.set(key, live);
    return Math.max(used, ...live.map((h) => h.level));
  };

  /**
   * The split of `limit` replacing `prev` (re-split by difference, so grants stay valid). Its version is a digest of
   * its content: sites that derive the same default split write the same record (no conflict).
   */
  const splitOf = (
    projectId: string,
    resource: string,
    limit: number,
    prev: QuotaLimit | undefined,
    admin?: { by: string; at: number },
  ): QuotaLimit => {
    const shares = resplit(prev?.shares, prev?.limit ?? -1, limit, knownSites());
    const body = { limit, shares, ...(admin ? { set_by: admin.by, set_at: admin.at } : {}) };
    return {
      id: keyOf(projectId, resource),
      project_id: projectId,
      resource,
      ...body,
      version: digest(JSON.stringify(body)),
    };
  };

  /** The split in force: an admin's, else the default one for `limit` (written when missing or outdated). */
  const splitFor = async (projectId: string, resource: string, limit: number): Promise<QuotaLimit> => {
    const rec = o.catalog.get('quota_limits', keyOf(projectId, resource));
    if (rec?.set_by !== undefined && rec.shares && rec.version) return rec;
    if (rec?.shares && rec.version && rec.limit === limit) return rec;
    const split = splitOf(projectId, resource, rec?.set_by !== undefined ? rec.limit : limit, rec);
    if (split.limit >= 0) await o.catalog.put('quota_limits', split);
    return split;
  };

  /** Gives part of this site's unused share to `to` (caller holds the lock); returns the new cumulative counter. */
  const give = async (split: QuotaLimit, to: string, need: number): Promise<{ granted: number; given: number }> => {
    const key = keyOf(split.project_id, split.resource);
    const view = viewOf(split);
    const used = effectiveUse(key, await o.usage(split.project_id, split.resource));
    const amount = grantAmount(spendable(view, self) - used, need);
    const before = view.given[self]?.[to] ?? 0;
    if (amount <= 0) return { granted: 0, given: before };
    const own = o.catalog.get('quota_grants', `${self}:${key}`);
    touched.set(key, { projectId: split.project_id, resource: split.resource });
    const record: QuotaGrant = {
      ...own,
      id: `${self}:${key}`,
      site_id: self,
      project_id: split.project_id,
      resource: split.resource,
      version: 'v1',
      given: { ...(view.given[self] ?? {}), [to]: before + amount },
    };
    await o.catalog.put('quota_grants', record);
    return { granted: amount, given: before + amount };
  };

  const onAsk = async (from: string, m: AskMessage): Promise<GrantMessage> => {
    const key = keyOf(m.project_id, m.resource);
    return locked(key, async () => {
      let split = o.catalog.get('quota_limits', key);
      if (!split?.shares && m.split.shares && m.split.id === key) {
        // The asker's split has not replicated here yet: adopt it (the same record, so no conflict).
        await o.catalog.put('quota_limits', m.split);
        split = m.split;
      }
      if (!split?.shares || split.limit < 0) {
        return { t: 'grant', rid: m.rid, version: split?.version ?? '', granted: 0, given: 0, reason: 'no_split' };
      }
      const r = await give(split, from, m.need);
      const version = split.version ?? '';
      return { t: 'grant', rid: m.rid, version, ...r, ...(r.granted ? {} : { reason: 'no_spare' }) };
    });
  };

  const offMessage = o.transport.onMessage((msg: TransportMessage) => {
    heard.add(msg.from);
    if (msg.channel !== 'direct') return;
    const m = decodeEscrow(msg.data);
    if (!m) return;
    if (m.t === 'grant') {
      waiting.get(m.rid)?.(m);
      return;
    }
    onAsk(msg.from, m)
      .then((reply) => o.transport.send(msg.from, encodeEscrow(reply)))
      .catch((err: unknown) => o.log.warn({ err, peer: msg.from }, 'quota escrow: answering an ask failed'));
  });

  /** Asks one peer; resolves with its answer, or undefined on timeout or when it cannot be reached. */
  const ask = async (peer: string, split: QuotaLimit, need: number): Promise<GrantMessage | undefined> => {
    const rid = `${self}:${++seq}`;
    const answer = new Promise<GrantMessage>((resolve) => waiting.set(rid, resolve));
    try {
      await o.transport.send(
        peer,
        encodeEscrow({ t: 'ask', rid, project_id: split.project_id, resource: split.resource, need, split }),
      );
      return await Promise.race([answer, o.clock.sleep(timeout).then(() => undefined)]);
    } catch {
      return undefined;
    } finally {
      waiting.delete(rid);
    }
  };

  const record = (key: string, peer: string, given: number) => {
    const p = promised.get(key) ?? {};
    promised.set(key, p);
    const row = p[peer] ?? {};
    p[peer] = row;
    row[self] = Math.max(row[self] ?? 0, given);
  };

  /** One batch with the current consumption of every touched resource whose published value is out of date. */
  const publish = async (): Promise<void> => {
    const usage: Array<[string, { projectId: string; resource: string }, number]> = [];
    for (const [key, t] of touched) usage.push([key, t, await o.usage(t.projectId, t.resource)]);
    // Built with no await in between, so a grant written meanwhile is not overwritten with older counters.
    const now = o.clock.now();
    const writes: CatalogWrite[] = [];
    for (const [key, t, used] of usage) {
      const own = o.catalog.get('quota_grants', `${self}:${key}`);
      if (own?.used === used) continue;
      const record: QuotaGrant = {
        ...(own ?? {
          id: `${self}:${key}`,
          site_id: self,
          project_id: t.projectId,
          resource: t.resource,
          version: 'v1',
          given: {},
        }),
        used,
        used_at: now,
      };
      writes.push({ op: 'put', collection: 'quota_grants', record });
    }
    if (writes.length > 0) await o.catalog.apply(writes);
  };
  const offPublish = o.clock.every(o.publishMs ?? 10_000, () => {
    publish().catch((err: unknown) => o.log.warn({ err }, 'quota escrow: publishing consumption failed'));
  });

  const service: QuotaEscrowService = {
    limitOf(projectId, resource) {
      const rec = o.catalog.get('quota_limits', keyOf(projectId, resource));
      return rec?.set_by !== undefined ? rec.limit : undefined;
    },
    async setLimit(projectId, resource, limit) {
      const key = keyOf(projectId, resource);
      await locked(key, async () => {
        let prev = o.catalog.get('quota_limits', key);
        if (prev?.shares && prev.limit >= 0 && limit >= 0 && limit < prev.limit) {
          // A decrease comes first out of this site's unused share (known exactly here), the rest from every share.
          const unused = spendable(viewOf(prev), self) - effectiveUse(key, await o.usage(projectId, resource));
          const take = Math.min(Math.max(0, unused), prev.limit - limit);
          const shares = { ...prev.shares, [self]: (prev.shares[self] ?? 0) - take };
          prev = { ...prev, limit: prev.limit - take, shares };
        }
        const split = splitOf(projectId, resource, limit, prev, { by: self, at: o.clock.now() });
        await o.catalog.put('quota_limits', split);
      });
    },
    async resetLimit(projectId, resource) {
      // Keep the shares (grants stay valid): the split becomes a default one, re-split to the site's own limit later.
      const key = keyOf(projectId, resource);
      await locked(key, async () => {
        const prev = o.catalog.get('quota_limits', key);
        if (prev?.set_by === undefined) return;
        const { set_by: _by, set_at: _at, version: _v, ...rest } = prev;
        await o.catalog.put('quota_limits', {
          ...rest,
          version: digest(JSON.stringify({ limit: rest.limit, shares: rest.shares })),
        });
      });
    },
    async reserve(projectId, resource, used, want, limit): Promise<EscrowVerdict> {
      if (want <= 0) return { ok: true };
      const key = keyOf(projectId, resource);
      touched.set(key, { projectId, resource });
      const split = await locked(key, () => splitFor(projectId, resource, limit));
      if (split.limit < 0) return { ok: true };
      const fits = () =>
        locked(key, async () => {
          effectiveUse(key, used);
          if (used + want > spendable(viewOf(split), self)) return false;
          const list = holds.get(key) ?? [];
          list.push({ level: used + want, until: o.clock.now() + holdMs });
          holds.set(key, list);
          return true;
        });
      if (await fits()) return { ok: true };
      // Short: ask reachable peers one at a time (outside the lock: peers may be asking us at the same time).
      const reachable = new Set(o.transport.peers());
      // Only peers heard from: an ask that cannot be answered (e.g. keys not exchanged yet) would wait out the timeout.
      for (const peer of knownSites().filter((s) => s !== self && reachable.has(s) && heard.has(s))) {
        const need = used + want - spendable(viewOf(split), self);
        if (need <= 0) break;
        const answer = await ask(peer, split, need);
        if (answer && answer.given > 0) record(key, peer, answer.given);
      }
      if (await fits()) return { ok: true };
      const view = viewOf(split);
      const unreachable = knownSites().filter((s) => s !== self && !reachable.has(s) && spendable(view, s) > 0);
      return { ok: false, share: spendable(view, self), unreachable };
    },
    status(projectId) {
      const out: EscrowStatus[] = [];
      for (const rec of o.catalog.list('quota_limits')) {
        if (rec.project_id !== projectId || !rec.version) continue;
        const view = viewOf(rec);
        const sites: EscrowStatus['sites'] = {};
        for (const s of new Set([...Object.keys(rec.shares ?? {}), ...Object.keys(view.given)])) {
          const grant = o.catalog.get('quota_grants', `${s}:${keyOf(projectId, rec.resource)}`);
          sites[s] = {
            share: rec.shares?.[s] ?? 0,
            received: received(view, s),
            given: givenAway(view, s),
            spendable: spendable(view, s),
            used: grant?.used ?? null,
            used_at: grant?.used_at ?? null,
          };
        }
        out.push({ resource: rec.resource, limit: rec.limit, version: rec.version, explicit: !!rec.set_by, sites });
      }
      return out.sort((a, b) => a.resource.localeCompare(b.resource));
    },
    publish,
    stop() {
      offPublish();
      offMessage();
      for (const resolve of waiting.values()) resolve({ t: 'grant', rid: '', version: '', granted: 0, given: 0 });
      waiting.clear();
    },
  };
  return service;
}
