/** `/v2.1/os-keypairs`: list, show, import/generate, delete (per user; admins may name another user from 2.10). */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import type { Keypair } from '../../../shared/schemas/catalog/index.ts';
import { createKeypair, getKeypair, listKeypairs } from '../../compute/keypairs.ts';
import { isoMicro, nextLink } from '../../compute/links.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { Quotas } from '../../compute/quotas.ts';
import type { SiteDeps } from '../../services.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin, requireRole } from '../policy.ts';
import { paginate } from './paging.ts';

/** A small stable integer for Nova's integer keypair `id` (derived from the record id). */
function numericId(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 2147483647;
  return h;
}

const createSchema = z.object({
  keypair: z.object({
    name: z.string().min(1).max(255),
    public_key: z.string().min(1).optional(),
    type: z.enum(['ssh', 'x509']).optional(),
    user_id: z.string().min(1).max(255).optional(),
  }),
});

/** The keypairs sub-app. */
export function keypairRoutes(deps: SiteDeps, quotas: Quotas): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  /** The user whose keypairs are addressed: the caller, or `user_id` for an admin from 2.10. */
  const userOf = (c: Context<AppEnv>, explicit?: string): string => {
    const wanted = explicit ?? c.req.query('user_id');
    if (wanted !== undefined && atLeast(c, 10) && wanted !== c.var.auth.userId) {
      requireRole(c.var.auth, 'admin', 'os_compute_api:os-keypairs:index');
      return wanted;
    }
    return c.var.auth.userId;
  };

  const view = (c: Context<AppEnv>, k: Keypair) => ({
    name: k.name,
    public_key: k.public_key,
    fingerprint: k.fingerprint,
    ...(atLeast(c, 2) ? { type: k.type } : {}),
  });

  app.get('/', (c) => {
    const all = listKeypairs(deps.catalog, userOf(c));
    const paged = atLeast(c, 35);
    const page = paged
      ? paginate(all, c.req.query('limit'), c.req.query('marker'), (k) => k.name)
      : { items: all, next: undefined };
    return c.json({
      keypairs: page.items.map((k) => ({ keypair: view(c, k) })),
      ...(page.next ? { keypairs_links: nextLink(c, page.next) } : {}),
    });
  });

  app.get('/:name', (c) => {
    const k = getKeypair(deps.catalog, userOf(c), c.req.param('name'));
    return c.json({
      keypair: {
        ...view(c, k),
        user_id: k.user_id,
        id: numericId(k.id),
        deleted: false,
        created_at: isoMicro(k.created_at),
        updated_at: null,
        deleted_at: null,
      },
    });
  });

  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-keypairs:create');
    const { keypair: b } = await jsonBody(c, createSchema);
    if (b.type !== undefined && !atLeast(c, 2)) {
      throw badRequest('api.invalid_body', "Additional properties are not allowed ('type' was unexpected)");
    }
    if (b.public_key === undefined && atLeast(c, 92)) {
      throw badRequest('api.invalid_body', "'public_key' is a required property");
    }
    const userId = b.user_id !== undefined && atLeast(c, 10) ? userOf(c, b.user_id) : c.var.auth.userId;
    if (userId !== c.var.auth.userId && !isAdmin(c.var.auth)) requireRole(c.var.auth, 'admin');
    const limits = c.var.auth.project ? await quotas.limits(c.var.auth.project.id) : { key_pairs: -1 };
    const { keypair, privateKey } = await createKeypair(deps, {
      userId,
      name: b.name,
      type: b.type ?? 'ssh',
      publicKey: b.public_key,
      quota: limits.key_pairs,
    });
    const body = {
      keypair: { ...view(c, keypair), user_id: keypair.user_id, ...(privateKey ? { private_key: privateKey } : {}) },
    };
    return c.json(body, atLeast(c, 2) ? 201 : 200);
  });

  app.delete('/:name', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-keypairs:delete');
    const k = getKeypair(deps.catalog, userOf(c), c.req.param('name'));
    await deps.catalog.delete('keypairs', k.id);
    return c.body(null, atLeast(c, 2) ? 204 : 202);
  });
  return app;
}
