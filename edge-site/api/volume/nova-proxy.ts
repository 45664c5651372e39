/**
 * Nova's deprecated volume proxies, `/v2.1/os-volumes` and `/v2.1/os-snapshots` (microversions up to 2.35; 404
 * from 2.36 as in Nova), answered by this site's volume module in Nova's camelCase shapes. Mounted by compute.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { VolumeContext } from '../../volume/context.ts';
import { type AttachmentRow, isoMicro, type SnapshotRow, type VolumeRow } from '../../volume/model.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireAuth, type TokenValidator } from '../middleware/auth.ts';
import { requireRole } from '../policy.ts';

const volumeBody = z.object({
  volume: z.object({
    size: z.union([
      z.number().int(),
      z
        .string()
        .regex(/^-?\d+$/)
        .transform(Number),
    ]),
    display_name: z.string().max(255).nullable().optional(),
    display_description: z.string().max(255).nullable().optional(),
    availability_zone: z.string().optional(),
    volume_type: z.string().optional(),
    snapshot_id: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
});

const snapshotBody = z.object({
  snapshot: z.object({
    volume_id: z.string().min(1),
    display_name: z.string().max(255).nullable().optional(),
    display_description: z.string().max(255).nullable().optional(),
    force: z.union([z.boolean(), z.string()]).optional(),
  }),
});

function volumeView(v: VolumeRow, attachments: AttachmentRow[]) {
  return {
    id: v.id,
    status: v.status,
    size: v.sizeGiB,
    availabilityZone: v.availabilityZone,
    createdAt: isoMicro(v.createdAt),
    displayName: v.name,
    displayDescription: v.description,
    volumeType: v.volumeType,
    snapshotId: v.snapshotId,
    metadata: v.metadata,
    attachments:
      attachments.length === 0
        ? [{}]
        : attachments.map((a) => ({
            id: a.id,
            volumeId: a.volumeId,
            serverId: a.serverId ?? '',
            device: a.device ?? '',
          })),
  };
}

const snapshotView = (s: SnapshotRow) => ({
  id: s.id,
  volumeId: s.volumeId,
  status: s.status,
  size: s.sizeGiB,
  createdAt: isoMicro(s.createdAt),
  displayName: s.name,
  displayDescription: s.description,
});

/** Nova's `limit`/`offset` on a listing. */
function page<T>(items: T[], query: Record<string, string>): T[] {
  const offset = Math.max(0, Number.parseInt(query.offset ?? '0', 10) || 0);
  const limit = query.limit === undefined ? undefined : Math.max(0, Number.parseInt(query.limit, 10) || 0);
  return items.slice(offset, limit === undefined ? undefined : offset + limit);
}

/** The proxy sub-app (mounted at compute's `/v2.1`). */
export function novaVolumeProxy(ctx: VolumeContext, tokens: TokenValidator): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const auth = requireAuth(tokens);
  for (const prefix of ['/os-volumes', '/os-snapshots']) {
    app.use(prefix, auth);
    app.use(`${prefix}/*`, auth);
    // Nova removed the proxies in 2.36.
    app.use(prefix, async (c, next) => {
      if (atLeast(c, 36)) throw notFound('compute.not_found', 'The resource could not be found.');
      await next();
    });
    app.use(`${prefix}/*`, async (c, next) => {
      if (atLeast(c, 36)) throw notFound('compute.not_found', 'The resource could not be found.');
      await next();
    });
  }
  const withAttachments = async (v: VolumeRow) => volumeView(v, await ctx.attachments.ofVolume(v.id));

  const listVolumes = async (c: Context<AppEnv>) => {
    const rows = (await ctx.volumes.list(c.var.auth, false)).sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ volumes: await Promise.all(page(rows, c.req.query()).map(withAttachments)) });
  };
  app.get('/os-volumes', listVolumes);
  app.get('/os-volumes/detail', listVolumes);
  app.get('/os-volumes/:id', async (c) =>
    c.json({ volume: await withAttachments(await ctx.volumes.load(c.var.auth, c.req.param('id'))) }),
  );
  app.post('/os-volumes', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes:create');
    const { volume: v } = await jsonBody(c, volumeBody);
    if (v.size < 1)
      throw badRequest('compute.invalid_volume_size', `Invalid input: volume size ${v.size} must be >= 1.`);
    const row = await ctx.volumes.create(c.var.auth, {
      size: v.size,
      name: v.display_name ?? null,
      description: v.display_description ?? null,
      ...(v.availability_zone !== undefined ? { availabilityZone: v.availability_zone } : {}),
      ...(v.volume_type !== undefined ? { volumeType: v.volume_type } : {}),
      ...(v.snapshot_id !== undefined ? { snapshotId: v.snapshot_id } : {}),
      ...(v.metadata !== undefined ? { metadata: v.metadata } : {}),
    });
    return c.json({ volume: volumeView(row, []) });
  });
  app.delete('/os-volumes/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes:delete');
    await ctx.volumes.remove(await ctx.volumes.load(c.var.auth, c.req.param('id')));
    return c.body(null, 202);
  });

  const listSnapshots = async (c: Context<AppEnv>) => {
    const rows = (await ctx.snapshots.list(c.var.auth, false)).sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ snapshots: page(rows, c.req.query()).map(snapshotView) });
  };
  app.get('/os-snapshots', listSnapshots);
  app.get('/os-snapshots/detail', listSnapshots);
  app.get('/os-snapshots/:id', async (c) =>
    c.json({ snapshot: snapshotView(await ctx.snapshots.load(c.var.auth, c.req.param('id'))) }),
  );
  app.post('/os-snapshots', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes:snapshots:create');
    const { snapshot: s } = await jsonBody(c, snapshotBody);
    const row = await ctx.snapshots.create(c.var.auth, {
      volumeId: s.volume_id,
      name: s.display_name ?? null,
      description: s.display_description ?? null,
      force: s.force === true || s.force === 'true' || s.force === 'True',
    });
    return c.json({ snapshot: snapshotView(row) });
  });
  app.delete('/os-snapshots/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes:snapshots:delete');
    await ctx.snapshots.remove(await ctx.snapshots.load(c.var.auth, c.req.param('id')));
    return c.body(null, 202);
  });
  return app;
}
