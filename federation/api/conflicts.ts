import { Hono } from 'hono';
import type { AppEnv } from '../../edge-site/api/env.ts';
import { badRequest } from '../../shared/errors.ts';
import type { ConflictEntry } from '../catalog/conflicts.ts';
import { type FederationApiDeps, iso } from './deps.ts';

const KINDS = new Set(['concurrent_update', 'update_after_delete', 'duplicate_name']);

function view(e: ConflictEntry): Record<string, unknown> {
  const version = (v: ConflictEntry['winner']) => ({ ...v, written_at: iso(v.written_at) });
  return { ...e, winner: version(e.winner), losers: e.losers.map(version), detected_at: iso(e.detected_at) };
}

/** `GET /conflicts[?kind=&collection=]`: the conflict ledger (what diverged, which value won, why), oldest first. */
export function conflictRoutes(d: FederationApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const kind = c.req.query('kind');
    const collection = c.req.query('collection');
    if (kind !== undefined && !KINDS.has(kind)) {
      throw badRequest('federation.bad_kind', `kind must be one of ${[...KINDS].join(', ')}.`);
    }
    const list = d.store
      .conflicts()
      .filter(
        (e) => (kind === undefined || e.kind === kind) && (collection === undefined || e.collection === collection),
      );
    return c.json({ conflicts: list.map(view) });
  });
  return app;
}
