/** `/v2.0/floatingips`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import {
  createFloatingIp,
  deleteFloatingIp,
  type FloatingIpInput,
  listFloatingIps,
  showFloatingIp,
  updateFloatingIp,
} from '../../network/floating-ips.ts';
import { listResponse } from '../../network/query.ts';
import type { AppEnv } from '../env.ts';
import { createAll, createBodies, description, projectId, resourceBody, shown, tags, writer } from './common.ts';

const attrs = z.object({
  floating_network_id: z.string().min(1),
  floating_ip_address: z.string().optional(),
  subnet_id: z.string().min(1).optional(),
  port_id: z.string().min(1).nullable().optional(),
  fixed_ip_address: z.string().nullable().optional(),
  description: description.optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
});
const readOnly = [
  'id',
  'status',
  'router_id',
  'port_details',
  'created_at',
  'updated_at',
  'revision_number',
  'port_forwardings',
];
const updatable = attrs.pick({ port_id: true, fixed_ip_address: true, description: true, tags: true });

/** Floating IP routes. */
export function floatingIpRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) =>
    c.json(listResponse(await listFloatingIps(ctx, c.get('auth')), new URL(c.req.url), 'floatingips')),
  );
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<FloatingIpInput>(c, 'floatingip', 'floatingips', attrs, readOnly);
    const done = await createAll(
      items,
      (i) => createFloatingIp(ctx, auth, i),
      (d) => deleteFloatingIp(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { floatingips: done } : { floatingip: done[0] }, 201);
  });
  app.get('/:id', async (c) =>
    c.json({ floatingip: shown(c, await showFloatingIp(ctx, c.get('auth'), c.req.param('id'))) }),
  );
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<FloatingIpInput>(c, 'floatingip', updatable, 'PUT', [
      ...readOnly,
      'floating_network_id',
      'floating_ip_address',
      'subnet_id',
      'project_id',
      'tenant_id',
    ]);
    return c.json({ floatingip: await updateFloatingIp(ctx, auth, c.req.param('id'), input) });
  });
  app.delete('/:id', async (c) => {
    await deleteFloatingIp(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
