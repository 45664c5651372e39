/** `/v2.0/routers` and its `add_router_interface` / `remove_router_interface` actions. */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import { badRequestTyped } from '../../network/errors.ts';
import { listResponse } from '../../network/query.ts';
import { addInterface, type InterfaceInput, removeInterface } from '../../network/router-interfaces.ts';
import {
  createRouter,
  deleteRouter,
  listRouters,
  type RouterInput,
  showRouter,
  updateRouter,
} from '../../network/routers.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import {
  bool,
  createAll,
  createBodies,
  description,
  name,
  projectId,
  resourceBody,
  shown,
  tags,
  writer,
} from './common.ts';

const fixedIp = z.object({ subnet_id: z.string().optional(), ip_address: z.string().optional() }).strict();
const gateway = z
  .object({
    network_id: z.string().min(1).optional(),
    enable_snat: bool.optional(),
    external_fixed_ips: z.array(fixedIp).optional(),
  })
  .strict();
const route = z.object({ destination: z.string(), nexthop: z.string() }).strict();
const attrs = z.object({
  name: name.optional(),
  description: description.optional(),
  admin_state_up: bool.optional(),
  external_gateway_info: gateway.nullable().optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
  // Admin-only in Neutron; we have one answer for each (centralized, not HA).
  distributed: bool.optional(),
  ha: bool.optional(),
  availability_zone_hints: z.array(z.string()).max(0).optional(),
});
const readOnly = ['id', 'status', 'created_at', 'updated_at', 'revision_number', 'availability_zones'];
const updatable = attrs
  .omit({ project_id: true, tenant_id: true, availability_zone_hints: true })
  .extend({ routes: z.array(route).nullable().optional() });

async function interfaceBody(c: Context<AppEnv>): Promise<InterfaceInput> {
  const body = await jsonBody<unknown>(c);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequestTyped('HTTPBadRequest', 'Resource body required');
  }
  const b = body as Record<string, unknown>;
  const out: InterfaceInput = {};
  for (const k of ['subnet_id', 'port_id'] as const) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '')
      throw badRequestTyped('HTTPBadRequest', `Invalid input for ${k}. Reason: '${String(v)}' is not a valid UUID.`);
    out[k] = v;
  }
  return out;
}

/** Router routes. */
export function routerRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => c.json(listResponse(await listRouters(ctx, c.get('auth')), new URL(c.req.url), 'routers')));
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<RouterInput>(c, 'router', 'routers', attrs, [...readOnly, 'routes']);
    const done = await createAll(
      items,
      (i) => createRouter(ctx, auth, i),
      (d) => deleteRouter(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { routers: done } : { router: done[0] }, 201);
  });
  app.get('/:id', async (c) => c.json({ router: shown(c, await showRouter(ctx, c.get('auth'), c.req.param('id'))) }));
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<RouterInput>(c, 'router', updatable, 'PUT', [
      ...readOnly,
      'project_id',
      'tenant_id',
    ]);
    return c.json({ router: await updateRouter(ctx, auth, c.req.param('id'), input) });
  });
  app.delete('/:id', async (c) => {
    await deleteRouter(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  app.put('/:id/add_router_interface', async (c) => {
    const auth = writer(c);
    return c.json(await addInterface(ctx, auth, c.req.param('id'), await interfaceBody(c)));
  });
  app.put('/:id/remove_router_interface', async (c) => {
    const auth = writer(c);
    return c.json(await removeInterface(ctx, auth, c.req.param('id'), await interfaceBody(c)));
  });
  return app;
}
