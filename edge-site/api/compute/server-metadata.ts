/** `/v2.1/servers/{id}/metadata[/{key}]` and `/v2.1/servers/{id}/os-instance-actions`. */
import { and, eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { BrumeError, badRequest, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { isoMicro } from '../../compute/links.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { ServerRow } from '../../compute/servers/store.ts';
import { computeInstanceActions } from '../../db/schema/compute.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { assertUnlocked, loadServer } from './server-common.ts';

const meta = z.record(z.string().min(1).max(255), z.string().max(255));

/** The metadata and instance-actions sub-app (mounted at `/servers`). */
export function serverMetadataRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const save = async (c: Context<AppEnv>, row: ServerRow, next: Record<string, string>) => {
    const limits = await ctx.quotas.limits(row.projectId);
    const n = Object.keys(next).length;
    if (limits.metadata_items >= 0 && n > limits.metadata_items) {
      throw new BrumeError(
        'over_quota',
        'compute.quota_exceeded',
        `Quota exceeded for metadata_items: Requested ${n}, but already used 0 of ${limits.metadata_items} metadata_items`,
      );
    }
    assertUnlocked(c, row);
    await ctx.store.update(row.id, { metadata: next, updatedAt: ctx.deps.clock.now() });
  };

  app.get('/:id/metadata', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'));
    return c.json({ metadata: { ...row.metadata } });
  });
  app.post('/:id/metadata', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:server-metadata:create');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const { metadata } = await jsonBody(c, z.object({ metadata: meta }));
    const next = { ...row.metadata, ...metadata };
    await save(c, row, next);
    return c.json({ metadata: next });
  });
  app.put('/:id/metadata', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:server-metadata:update_all');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const { metadata } = await jsonBody(c, z.object({ metadata: meta }));
    await save(c, row, metadata);
    return c.json({ metadata });
  });
  app.get('/:id/metadata/:key', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'));
    const key = c.req.param('key');
    const value = row.metadata[key];
    if (value === undefined) throw notFound('compute.metadata_not_found', 'Metadata item was not found');
    return c.json({ meta: { [key]: value } });
  });
  app.put('/:id/metadata/:key', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:server-metadata:update');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const key = c.req.param('key');
    const body = await jsonBody(c, z.object({ meta }));
    const keys = Object.keys(body.meta);
    if (keys.length !== 1) throw badRequest('compute.invalid_body', 'Request body contains too many items');
    if (keys[0] !== key) throw badRequest('compute.invalid_body', 'Request body and URI mismatch');
    await save(c, row, { ...row.metadata, ...body.meta });
    return c.json({ meta: body.meta });
  });
  app.delete('/:id/metadata/:key', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:server-metadata:delete');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const key = c.req.param('key');
    if (row.metadata[key] === undefined) throw notFound('compute.metadata_not_found', 'Metadata item was not found');
    const { [key]: _gone, ...rest } = row.metadata;
    await save(c, row, rest);
    return c.body(null, 204);
  });

  // ---- os-instance-actions
  const actionView = (a: typeof computeInstanceActions.$inferSelect) => ({
    action: a.action,
    instance_uuid: a.serverId,
    request_id: a.requestId,
    user_id: a.userId,
    project_id: a.projectId,
    start_time: isoMicro(a.startTime),
    message: a.message,
  });
  app.get('/:id/os-instance-actions', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'), { deleted: atLeast(c, 21) });
    const rows = await ctx.deps.db.db
      .select()
      .from(computeInstanceActions)
      .where(eq(computeInstanceActions.serverId, row.id));
    rows.sort((a, b) => b.startTime - a.startTime);
    return c.json({ instanceActions: rows.map(actionView) });
  });
  app.get('/:id/os-instance-actions/:req', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'), { deleted: atLeast(c, 21) });
    const [a] = await ctx.deps.db.db
      .select()
      .from(computeInstanceActions)
      .where(
        and(eq(computeInstanceActions.serverId, row.id), eq(computeInstanceActions.requestId, c.req.param('req'))),
      );
    if (!a)
      throw notFound(
        'compute.action_not_found',
        `Action for request_id ${c.req.param('req')} on instance ${row.id} not found`,
      );
    return c.json({
      instanceAction: {
        ...actionView(a),
        events: [
          {
            event: `compute_${a.action}`,
            start_time: isoMicro(a.startTime),
            finish_time: a.finishTime === null ? null : isoMicro(a.finishTime),
            result: a.result,
          },
        ],
      },
    });
  });
  return app;
}
