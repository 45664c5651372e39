/** `/v2.0/subnets`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import { listResponse } from '../../network/query.ts';
import {
  createSubnet,
  deleteSubnet,
  listSubnets,
  loadSubnet,
  type SubnetInput,
  subnetView,
  updateSubnet,
} from '../../network/subnets.ts';
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

const pool = z.object({ start: z.string(), end: z.string() });
const route = z.object({ destination: z.string(), nexthop: z.string() });
const attrs = z.object({
  name: name.optional(),
  description: description.optional(),
  network_id: z.string().min(1),
  ip_version: int,
  cidr: z.string(),
  gateway_ip: z.string().nullable().optional(),
  allocation_pools: z.array(pool).optional(),
  enable_dhcp: bool.optional(),
  dns_nameservers: z.array(z.string()).optional(),
  host_routes: z.array(route).optional(),
  ipv6_ra_mode: z.string().nullable().optional(),
  ipv6_address_mode: z.string().nullable().optional(),
  subnetpool_id: z.null().optional(),
  use_default_subnetpool: z.literal(false).optional(),
  service_types: z.array(z.string()).max(0).optional(),
  segment_id: z.null().optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
});
const readOnly = ['id', 'created_at', 'updated_at', 'revision_number'];
const updatable = attrs.pick({
  name: true,
  description: true,
  gateway_ip: true,
  allocation_pools: true,
  enable_dhcp: true,
  dns_nameservers: true,
  host_routes: true,
  tags: true,
  service_types: true,
  segment_id: true,
});

/** Subnet routes. */
export function subnetRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => c.json(listResponse(await listSubnets(ctx, c.get('auth')), new URL(c.req.url), 'subnets')));
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<SubnetInput>(c, 'subnet', 'subnets', attrs, readOnly);
    const done = await createAll(
      items,
      (i) => createSubnet(ctx, auth, i),
      (d) => deleteSubnet(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { subnets: done } : { subnet: done[0] }, 201);
  });
  app.get('/:id', async (c) =>
    c.json({ subnet: shown(c, subnetView(await loadSubnet(ctx, c.get('auth'), c.req.param('id')))) }),
  );
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<SubnetInput>(c, 'subnet', updatable, 'PUT', [
      ...readOnly,
      'network_id',
      'ip_version',
      'cidr',
      'ipv6_ra_mode',
      'ipv6_address_mode',
      'subnetpool_id',
      'project_id',
      'tenant_id',
    ]);
    return c.json({ subnet: await updateSubnet(ctx, auth, c.req.param('id'), input) });
  });
  app.delete('/:id', async (c) => {
    await deleteSubnet(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
