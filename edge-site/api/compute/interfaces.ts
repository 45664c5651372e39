/**
 * Nova's `/v2.1/servers/{id}/os-interface`: list, show, attach (200 with the attachment, once the agent plugged the
 * NIC) and detach (202, done when answered). Domain logic in compute/servers/interfaces.ts.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { dropInterfaceTag, interfaceTags, setInterfaceTag } from '../../compute/metadata-device-tags.ts';
import { atLeast } from '../../compute/microversion.ts';
import { attachInterface, detachInterface, type InterfaceRequest } from '../../compute/servers/interfaces.ts';
import type { ServerPort } from '../../services.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { assertUnlocked, loadServer } from './server-common.ts';

const attachBody = z.object({
  interfaceAttachment: z
    .object({
      port_id: z.string().min(1).optional(),
      net_id: z.string().min(1).optional(),
      fixed_ips: z
        .array(z.object({ ip_address: z.string().min(1) }).strict())
        .max(1)
        .optional(),
      tag: z.string().max(60).optional(),
    })
    .strict(),
});

/** One interfaceAttachment as Nova renders it (`tag` from 2.70: the attach request's, else null). */
export function interfaceView(c: Context<AppEnv>, p: ServerPort, tag?: string | null): Record<string, unknown> {
  return {
    port_state: 'ACTIVE',
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.ipAddress })),
    port_id: p.portId,
    net_id: p.networkId,
    mac_addr: p.macAddress,
    ...(atLeast(c, 70) ? { tag: tag ?? null } : {}),
  };
}

function toRequest(body: z.infer<typeof attachBody>['interfaceAttachment']): InterfaceRequest {
  if (body.port_id && body.net_id)
    throw badRequest('compute.interface_bad_request', 'Must not input both network_id and port_id');
  if (body.fixed_ips && !body.net_id) {
    throw badRequest('compute.interface_bad_request', 'Must input network_id when request IP address');
  }
  if (body.port_id) return { portId: body.port_id };
  if (body.net_id) {
    const fixedIp = body.fixed_ips?.[0]?.ip_address;
    return { networkId: body.net_id, ...(fixedIp ? { fixedIp } : {}) };
  }
  throw badRequest('compute.interface_bad_request', 'A port_id or a net_id is required.');
}

/** The os-interface sub-app (mounted at `/servers`). */
export function interfaceRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { network } = ctx.services;
  app.get('/:id/os-interface', async (c) => {
    requireRole(c.var.auth, 'reader', 'os_compute_api:os-attach-interfaces:list');
    const server = await loadServer(ctx, c, c.req.param('id'));
    const ports = await network.portsOfServer(server.id);
    const tags = await interfaceTags(ctx.deps.db.db, server.id);
    return c.json({ interfaceAttachments: ports.map((p) => interfaceView(c, p, tags.get(p.portId))) });
  });
  app.get('/:id/os-interface/:portId', async (c) => {
    requireRole(c.var.auth, 'reader', 'os_compute_api:os-attach-interfaces:show');
    const server = await loadServer(ctx, c, c.req.param('id'));
    const portId = c.req.param('portId');
    const port = (await network.portsOfServer(server.id)).find((p) => p.portId === portId);
    if (!port) throw notFound('compute.port_not_found', `Port ${portId} could not be found.`);
    const tags = await interfaceTags(ctx.deps.db.db, server.id);
    return c.json({ interfaceAttachment: interfaceView(c, port, tags.get(port.portId)) });
  });
  app.post('/:id/os-interface', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-attach-interfaces:create');
    const server = await loadServer(ctx, c, c.req.param('id'));
    assertUnlocked(c, server);
    const { interfaceAttachment: body } = await jsonBody(c, attachBody);
    // Device tags came with 2.49 (Nova's schema refuses the property before).
    if (body.tag !== undefined && !atLeast(c, 49)) {
      throw badRequest('compute.interface_bad_request', "Additional properties are not allowed ('tag' was unexpected)");
    }
    const port = await attachInterface(ctx, c.var.auth, server.id, toRequest(body));
    if (body.tag !== undefined) await setInterfaceTag(ctx.deps.db.db, server.id, port.portId, body.tag);
    return c.json({ interfaceAttachment: interfaceView(c, port, body.tag) });
  });
  app.delete('/:id/os-interface/:portId', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-attach-interfaces:delete');
    const server = await loadServer(ctx, c, c.req.param('id'));
    assertUnlocked(c, server);
    await detachInterface(ctx, server.id, c.req.param('portId'));
    await dropInterfaceTag(ctx.deps.db.db, server.id, c.req.param('portId'));
    return c.body(null, 202);
  });
  return app;
}
