/** `/v2.0/ports`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import { canonicalIp } from '../../network/ip.ts';
import {
  createPortRecord,
  deletePort,
  listPorts,
  loadPort,
  type PortInput,
  portView,
  updatePortRecord,
} from '../../network/ports.ts';
import { type Dict, listResponse } from '../../network/query.ts';
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
const dhcpOpt = z
  .object({
    opt_name: z.string().min(1).max(255),
    opt_value: z.string().max(255).nullable(),
    ip_version: z.union([z.literal(4), z.literal(6)]).optional(),
  })
  .strict();
const pair = z.object({ ip_address: z.string(), mac_address: z.string().optional() }).strict();
const attrs = z.object({
  name: name.optional(),
  description: description.optional(),
  network_id: z.string().min(1),
  admin_state_up: bool.optional(),
  mac_address: z.string().optional(),
  fixed_ips: z.array(fixedIp).optional(),
  device_id: z.string().max(255).optional(),
  device_owner: z.string().max(255).optional(),
  'binding:host_id': z.string().max(255).optional(),
  'binding:vnic_type': z.string().optional(),
  'binding:profile': z.record(z.string(), z.unknown()).optional(),
  security_groups: z.array(z.string()).optional(),
  allowed_address_pairs: z.array(pair).optional(),
  port_security_enabled: bool.optional(),
  dns_name: z.string().max(255).optional(),
  extra_dhcp_opts: z.array(dhcpOpt).optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
});
const readOnly = [
  'id',
  'status',
  'created_at',
  'updated_at',
  'revision_number',
  'binding:vif_type',
  'binding:vif_details',
];
const updatable = attrs.omit({ network_id: true, project_id: true, tenant_id: true });

/** `fixed_ips=ip_address=…` / `subnet_id=…` / `ip_address_substr=…` filters (repeated → OR). */
function fixedIpsFilter(item: Dict, values: string[]): boolean {
  const ips = (item.fixed_ips as Array<{ subnet_id: string; ip_address: string }> | undefined) ?? [];
  return values.some((v) => {
    const [k, ...rest] = v.split('=');
    const want = rest.join('=');
    if (k === 'ip_address') return ips.some((f) => f.ip_address === (canonicalIp(want) ?? want));
    if (k === 'subnet_id') return ips.some((f) => f.subnet_id === want);
    if (k === 'ip_address_substr') return ips.some((f) => f.ip_address.includes(want));
    return true;
  });
}

/** Port routes. */
export function portRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) =>
    c.json(
      listResponse(await listPorts(ctx, c.get('auth')), new URL(c.req.url), 'ports', { fixed_ips: fixedIpsFilter }),
    ),
  );
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<PortInput>(c, 'port', 'ports', attrs, readOnly);
    const done = await createAll(
      items,
      async (i) => portView(await createPortRecord(ctx, auth, i), auth),
      (d) => deletePort(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { ports: done } : { port: done[0] }, 201);
  });
  app.get('/:id', async (c) => {
    const auth = c.get('auth');
    return c.json({ port: shown(c, portView(await loadPort(ctx, auth, c.req.param('id')), auth)) });
  });
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<PortInput>(c, 'port', updatable, 'PUT', [
      ...readOnly,
      'network_id',
      'project_id',
      'tenant_id',
    ]);
    return c.json({ port: portView(await updatePortRecord(ctx, auth, c.req.param('id'), input), auth) });
  });
  app.delete('/:id', async (c) => {
    await deletePort(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
