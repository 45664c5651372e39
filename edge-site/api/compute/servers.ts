/** `/v2.1/servers`: list, detail, show, create, update, delete. */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { nextLink, resourceLinks } from '../../compute/links.ts';
import { atLeast, versionOf } from '../../compute/microversion.ts';
import { neutron } from '../../compute/neutron-proxy.ts';
import { accessIPv4, accessIPv6, createServerSchema, createServers } from '../../compute/servers/create.ts';
import { queryServers } from '../../compute/servers/query.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { paginate } from './paging.ts';
import { assertUnlocked, loadServer, renderServer } from './server-common.ts';

const updateSchema = z.object({
  server: z.object({
    name: z
      .string()
      .min(1)
      .max(255)
      .refine((s) => s.trim() === s && s.trim() !== '', 'Invalid input: leading/trailing whitespace is not allowed')
      .optional(),
    description: z.string().max(255).nullable().optional(),
    accessIPv4: accessIPv4.optional(),
    accessIPv6: accessIPv6.optional(),
    'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
  }),
});

/** The servers sub-app. */
export function serverRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const portsOf = (id: string) => ctx.services.network.portsOfServer(id);

  const list = async (c: Context<AppEnv>, detail: boolean) => {
    const q = c.req.query();
    const rows = await queryServers(ctx.store, c.var.auth, q, portsOf);
    const page = paginate(rows, q.limit, q.marker, (r) => r.id);
    const ports = detail ? await ctx.services.network.portsOfServers(page.items.map((r) => r.id)) : undefined;
    const servers = detail
      ? await Promise.all(page.items.map((r) => renderServer(ctx, c, r, 'detail', false, ports?.get(r.id))))
      : page.items.map((r) => ({ id: r.id, name: r.name, links: resourceLinks(c, 'servers', r.id) }));
    return c.json({ servers, ...(page.next ? { servers_links: nextLink(c, page.next) } : {}) });
  };
  app.get('/', (c) => list(c, false));
  app.get('/detail', (c) => list(c, true));

  app.get('/:id', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'));
    return c.json({ server: await renderServer(ctx, c, row, 'detail', true) });
  });

  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:servers:create');
    const body = await jsonBody(c, createServerSchema);
    const minor = versionOf(c).minor;
    if (body.server.description != null && minor < 19) {
      throw badRequest('api.invalid_body', "Additional properties are not allowed ('description' was unexpected)");
    }
    const wanted = (body.server.security_groups ?? []).map((g) => g.name).filter((n) => n !== 'default');
    if (wanted.length > 0) {
      const { security_groups: all } = await neutron<{ security_groups: Array<{ id: string; name: string }> }>(
        c,
        'GET',
        '/security-groups',
      );
      const missing = wanted.find((n) => !all.some((g) => g.name === n || g.id === n));
      if (missing !== undefined) {
        throw badRequest('compute.security_group_not_found', `Security group ${missing} not found.`);
      }
    }
    const r = await createServers(ctx, c.var.auth, body, minor, c.var.requestId, ctx.createLock);
    const first = r.ids[0] ?? '';
    const links = resourceLinks(c, 'servers', first);
    c.header('Location', links[0]?.href ?? '');
    const rr = body.server.return_reservation_id;
    if (rr === true || rr === 'true' || rr === 'True') return c.json({ reservation_id: r.reservationId }, 202);
    return c.json(
      {
        server: {
          id: first,
          links,
          'OS-DCF:diskConfig': r.diskConfig,
          adminPass: r.adminPass,
          security_groups: r.securityGroups.map((name) => ({ name })),
        },
      },
      202,
    );
  });

  app.put('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:servers:update');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const { server: b } = await jsonBody(c, updateSchema);
    if (b.description !== undefined && !atLeast(c, 19)) {
      throw badRequest('api.invalid_body', "Additional properties are not allowed ('description' was unexpected)");
    }
    const next = await ctx.store.update(row.id, {
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description } : {}),
      ...(b.accessIPv4 !== undefined ? { accessIpv4: b.accessIPv4 } : {}),
      ...(b.accessIPv6 !== undefined ? { accessIpv6: b.accessIPv6 } : {}),
      ...(b['OS-DCF:diskConfig'] !== undefined ? { diskConfig: b['OS-DCF:diskConfig'] } : {}),
      updatedAt: ctx.deps.clock.now(),
    });
    return c.json({ server: await renderServer(ctx, c, next ?? row, 'basic', true) });
  });

  app.delete('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:servers:delete');
    const row = await loadServer(ctx, c, c.req.param('id'));
    assertUnlocked(c, row);
    if (row.taskState === 'deleting') return c.body(null, 204);
    const marked = await ctx.store.transition(row.id, {}, { taskState: 'deleting', updatedAt: ctx.deps.clock.now() });
    if (marked) {
      await ctx.engine.record(marked, 'delete', c.var.auth, c.var.requestId);
      ctx.engine.startDelete(marked, c.var.requestId);
    }
    return c.body(null, 204);
  });
  return app;
}
