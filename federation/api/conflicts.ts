import { Hono } from 'hono';
import { z } from 'zod';
import { jsonBody } from '../../edge-site/api/body.ts';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { requireRole } from '../../edge-site/api/policy.ts';
import { badRequest, notFound } from '../../shared/errors.ts';
import type { ConflictResolution } from '../../shared/schemas/catalog/index.ts';
import type { ConflictEntry } from '../catalog/conflicts.ts';
import { planResolution, type ResolveRequest } from '../catalog/resolutions.ts';
import { type FederationApiDeps, iso } from './deps.ts';

const resolveSchema = z.object({
  resolve: z.discriminatedUnion('action', [
    z.object({
      action: z.literal('rename'),
      name: z.string().trim().min(1).max(255),
      record_id: z.string().optional(),
    }),
    z.object({ action: z.literal('merge'), into: z.string().min(1) }),
    z.object({ action: z.literal('accept') }),
  ]),
});

const KINDS = new Set(['concurrent_update', 'update_after_delete', 'duplicate_name']);

function view(e: ConflictEntry, r: ConflictResolution | undefined): Record<string, unknown> {
  const version = (v: ConflictEntry['winner']) => ({ ...v, written_at: iso(v.written_at) });
  return {
    ...e,
    winner: version(e.winner),
    losers: e.losers.map(version),
    detected_at: iso(e.detected_at),
    resolution: r ? { ...r, resolved_at: iso(r.resolved_at) } : null,
  };
}

/**
 * `GET /conflicts[?kind=&collection=&resolved=true|false]`: the conflict ledger (what diverged, which value won, why,
 * and its resolution), oldest first. `GET /conflicts/{id}`. `POST /conflicts/{id}/resolve` (admin) with
 * `{"resolve": {"action": "rename", "name", "record_id"?} | {"action": "merge", "into"} | {"action": "accept"}}`.
 */
export function conflictRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const kind = c.req.query('kind');
    const collection = c.req.query('collection');
    const resolved = c.req.query('resolved');
    if (kind !== undefined && !KINDS.has(kind)) {
      throw badRequest('federation.bad_kind', `kind must be one of ${[...KINDS].join(', ')}.`);
    }
    if (resolved !== undefined && resolved !== 'true' && resolved !== 'false') {
      throw badRequest('federation.bad_filter', 'resolved must be true or false.');
    }
    const list = d.store
      .conflicts()
      .map((e) => [e, d.store.get('conflict_resolutions', e.id)] as const)
      .filter(
        ([e, r]) =>
          (kind === undefined || e.kind === kind) &&
          (collection === undefined || e.collection === collection) &&
          (resolved === undefined || (resolved === 'true') === (r !== undefined)),
      );
    return c.json({ conflicts: list.map(([e, r]) => view(e, r)) });
  });
  const entryOf = (id: string): ConflictEntry => {
    const e = d.store.conflicts().find((x) => x.id === id);
    if (!e) throw notFound('federation.conflict_not_found', `Could not find conflict: ${id}.`);
    return e;
  };
  app.get('/:id', (c) => {
    const e = entryOf(c.req.param('id'));
    return c.json({ conflict: view(e, d.store.get('conflict_resolutions', e.id)) });
  });
  app.post('/:id/resolve', async (c) => {
    const auth = c.get('auth');
    requireRole(auth, 'admin', 'federation:resolve_conflict');
    const e = entryOf(c.req.param('id'));
    const body = await jsonBody(c, resolveSchema);
    const who = { user_id: auth.userId, user_name: auth.userName, site_id: d.siteId };
    const { writes, resolution } = planResolution(d.store, e, body.resolve as ResolveRequest, who, d.clock.now());
    await d.store.apply(writes);
    return c.json({ conflict: view(e, resolution) });
  });
  return app;
}
