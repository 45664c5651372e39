/** `/v3/{project_id}/snapshots`: create, list (+ /detail), show, update, delete and the snapshot's metadata. */
import { type Context, Hono } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import type { VolumeContext } from '../../volume/context.ts';
import { checkMetadata, parseBool, type SnapshotRow, volumeNotFound } from '../../volume/model.ts';
import { snapshotView } from '../../volume/view.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { allTenants, collectionUrl, member, optString, volumeBase } from './common.ts';
import { mountMetadataRoutes } from './metadata.ts';
import { listPage } from './query.ts';

const listable = (s: SnapshotRow) => ({
  row: s,
  id: s.id,
  name: s.name,
  status: s.status,
  volume_id: s.volumeId,
  metadata: s.metadata,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
  size: s.sizeGiB,
  project_id: s.projectId,
});

/** The snapshot routes (mounted at `/v3/:project_id/snapshots`). */
export function snapshotRoutes(ctx: VolumeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const base = volumeBase(ctx.deps.config);

  const list = async (c: Context<AppEnv>, detail: boolean) => {
    const rows = await ctx.snapshots.list(c.var.auth, allTenants(c));
    const { page, next } = listPage(c, rows.map(listable), {
      filters: ['name', 'status', 'volume_id', 'project_id'],
      aliases: { display_name: 'name' },
      selfUrl: collectionUrl(c, base, detail ? 'snapshots/detail' : 'snapshots'),
    });
    return c.json({
      snapshots: page.map((x) => snapshotView(x.row, detail)),
      ...(next ? { snapshots_links: [{ rel: 'next', href: next }] } : {}),
    });
  };
  app.get('/', (c) => list(c, false));
  app.get('/detail', (c) => list(c, true));
  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:create_snapshot');
    const s = member(await jsonBody(c), 'snapshot');
    if (typeof s.volume_id !== 'string' || s.volume_id === '') throw volumeNotFound(String(s.volume_id ?? ''));
    const force = s.force === undefined ? false : parseBool(s.force);
    if (force === undefined) throw badRequest('volume.invalid_body', 'Invalid input for field/attribute force.');
    const name = optString(s, 'name') ?? optString(s, 'display_name');
    const description = optString(s, 'description') ?? optString(s, 'display_description');
    const row = await ctx.snapshots.create(c.var.auth, {
      volumeId: s.volume_id,
      force,
      ...(name !== undefined ? { name } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(s.metadata !== undefined && s.metadata !== null ? { metadata: checkMetadata(s.metadata) } : {}),
    });
    return c.json({ snapshot: snapshotView(row, false) }, 202);
  });
  app.get('/:id', async (c) =>
    c.json({ snapshot: snapshotView(await ctx.snapshots.load(c.var.auth, c.req.param('id')), true) }),
  );
  app.put('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:update_snapshot');
    const row = await ctx.snapshots.load(c.var.auth, c.req.param('id'));
    const s = member(await jsonBody(c), 'snapshot');
    const fields: { name?: string | null; description?: string | null } = {};
    const name = optString(s, 'name') ?? optString(s, 'display_name');
    if (name !== undefined) fields.name = name;
    const description = optString(s, 'description') ?? optString(s, 'display_description');
    if (description !== undefined) fields.description = description;
    return c.json({ snapshot: snapshotView(await ctx.snapshots.update(row, fields), false) });
  });
  app.delete('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:delete_snapshot');
    await ctx.snapshots.remove(await ctx.snapshots.load(c.var.auth, c.req.param('id')));
    return c.body(null, 202);
  });

  // ------------------------------------------------------------------ metadata
  mountMetadataRoutes(app, {
    noun: 'Snapshot',
    kind: 'snapshot',
    load: (auth, id) => ctx.snapshots.load(auth, id),
    update: (row, patch) => ctx.snapshots.update(row, patch),
  });
  return app;
}
