import { Hono } from 'hono';
import { z } from 'zod';
import type { Domain } from '../../../shared/schemas/catalog/index.ts';
import { domainView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription, zName64, zTags } from './common.ts';

const createSchema = z.object({
  domain: z.object({
    name: zName64,
    description: zDescription,
    enabled: z.boolean().optional(),
    tags: zTags.optional(),
  }),
});
const updateSchema = z.object({
  domain: z.object({
    name: zName64.optional(),
    description: zDescription,
    enabled: z.boolean().optional(),
    tags: zTags.optional(),
  }),
});

/** May the caller read this domain: system readers, and tokens scoped to it or to one of its projects. */
export function canReadDomain(a: AuthContext, domainId: string): boolean {
  return policy.domainReader(a, domainId) || a.domain?.id === domainId || a.project?.domainId === domainId;
}

/** /v3/domains. */
export function domainRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();

  app.get('/', (c) => {
    enforce(policy.systemReader(caller(c)), 'identity:list_domains');
    const items = filterList(c, deps.catalog.list('domains'), ['name', 'enabled']);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'domains',
        items.map((d) => domainView(d, base)),
      ),
    );
  });
  app.post('/', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_domain');
    const { domain: b } = await jsonBody(c, createSchema);
    const d: Domain = {
      id: admin.newId(),
      name: b.name,
      description: b.description ?? '',
      enabled: b.enabled ?? true,
      tags: b.tags ?? [],
    };
    await admin.saveDomain(d, true);
    return c.json({ domain: domainView(d, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    enforce(canReadDomain(caller(c), id), 'identity:get_domain');
    return c.json({ domain: domainView(admin.need('domains', id), baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:update_domain');
    const prev = admin.need('domains', c.req.param('id'));
    const { domain: b } = await jsonBody(c, updateSchema);
    const d: Domain = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      ...(b.tags !== undefined ? { tags: b.tags } : {}),
    };
    await admin.saveDomain(d, false);
    return c.json({ domain: domainView(d, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_domain');
    await admin.deleteDomain(c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
