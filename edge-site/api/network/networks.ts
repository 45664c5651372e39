/** `/v2.0/networks`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import {
  createNetwork,
  deleteNetwork,
  listNetworks,
  type NetworkInput,
  showNetwork,
  updateNetwork,
} from '../../network/networks.ts';
import { listResponse } from '../../network/query.ts';
import type { AppEnv } from '../env.ts';
import {
  bool,
  createAll,
  createBodies,
  description,
  int,
  name,
  projectId,
  resourceBody,
  shown,
  tags,
  writer,
} from './common.ts';

const attrs = z.object({
  name: name.optional(),
  description: description.optional(),
  admin_state_up: bool.optional(),
  shared: bool.optional(),
  'router:external': bool.optional(),
  mtu: int.optional(),
  port_security_enabled: bool.optional(),
  availability_zone_hints: z.array(z.string().max(255)).optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
  'provider:network_type': z.string().optional(),
  'provider:physical_network': z.string().nullable().optional(),
  'provider:segmentation_id': int.nullable().optional(),
});
const readOnly = ['id', 'status', 'subnets', 'created_at', 'updated_at', 'revision_number', 'availability_zones'];
const updatable = attrs.omit({
  availability_zone_hints: true,
  'provider:network_type': true,
  'provider:physical_network': true,
  'provider:segmentation_id': true,
});

/** Network routes. */
export function networkRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) =>
    c.json(listResponse(await listNetworks(ctx, c.get('auth')), new URL(c.req.url), 'networks')),
  );
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<NetworkInput>(c, 'network', 'networks', attrs, readOnly);
    const done = await createAll(
      items,
      (i) => createNetwork(ctx, auth, i),
      (d) => deleteNetwork(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { networks: done } : { network: done[0] }, 201);
  });
  app.get('/:id', async (c) => c.json({ network: shown(c, await showNetwork(ctx, c.get('auth'), c.req.param('id'))) }));
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<NetworkInput>(c, 'network', updatable, 'PUT', [
      ...readOnly,
      'availability_zone_hints',
      'provider:network_type',
      'provider:physical_network',
      'provider:segmentation_id',
    ]);
    return c.json({ network: await updateNetwork(ctx, auth, c.req.param('id'), input) });
  });
  app.delete('/:id', async (c) => {
    await deleteNetwork(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
