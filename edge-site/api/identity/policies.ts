import { Hono } from 'hono';
import { z } from 'zod';
import type { PolicyBlob } from '../../../shared/schemas/catalog/index.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody } from './common.ts';

const policyCreate = z.object({ policy: z.object({ type: z.string().min(1).max(255), blob: z.string() }) });
const policyUpdate = z.object({
  policy: z.object({ type: z.string().min(1).max(255).optional(), blob: z.string().optional() }),
});

function policyView(p: PolicyBlob, base: string) {
  return { id: p.id, type: p.type, blob: p.blob, links: { self: `${base}/v3/policies/${p.id}` } };
}

/** /v3/policies: opaque policy blobs. Keystone's defaults: system readers read, admins write. */
export function policyRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();
  type Ctx = Parameters<typeof caller>[0];
  const reader = (c: Ctx, action: string) => enforce(policy.systemReader(caller(c)), action);
  const writer = (c: Ctx, action: string) => enforce(policy.admin(caller(c)), action);

  app.get('/', (c) => {
    reader(c, 'identity:list_policies');
    const base = baseUrl(c);
    const items = filterList(c, deps.catalog.list('policies'), ['type']).map((p) => policyView(p, base));
    return c.json(listBody(c, 'policies', items));
  });
  app.post('/', async (c) => {
    writer(c, 'identity:create_policy');
    const { policy: b } = await jsonBody(c, policyCreate);
    const p: PolicyBlob = { id: admin.newId(), type: b.type, blob: b.blob };
    await admin.put('policies', p);
    return c.json({ policy: policyView(p, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    reader(c, 'identity:get_policy');
    return c.json({ policy: policyView(admin.need('policies', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    writer(c, 'identity:update_policy');
    const prev = admin.need('policies', c.req.param('id'));
    const { policy: b } = await jsonBody(c, policyUpdate);
    const p: PolicyBlob = {
      ...prev,
      ...(b.type !== undefined ? { type: b.type } : {}),
      ...(b.blob !== undefined ? { blob: b.blob } : {}),
    };
    await admin.put('policies', p);
    return c.json({ policy: policyView(p, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    writer(c, 'identity:delete_policy');
    const id = admin.need('policies', c.req.param('id')).id;
    await admin.write([{ op: 'delete', collection: 'policies', id }]);
    return c.body(null, 204);
  });
  return app;
}
