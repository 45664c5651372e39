/** `/v3/{project_id}/volumes`: create, list (+ /detail), show, update, delete and the volume's metadata. */
import { type Context, Hono } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import type { VolumeContext } from '../../volume/context.ts';
import { checkMetadata, parseBool, type VolumeRow } from '../../volume/model.ts';
import { volumeSummary, volumeView } from '../../volume/view.ts';
import type { CreateVolumeInput } from '../../volume/volumes.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { allTenants, collectionUrl, listableVolume, member, optString, positiveInt, volumeBase } from './common.ts';
import { mountMetadataRoutes } from './metadata.ts';
import { listPage } from './query.ts';

const FILTERS = ['name', 'status', 'availability_zone', 'bootable', 'project_id', 'volume_type'] as const;

function optId(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '')
    throw badRequest('volume.invalid_body', `Invalid input for field/attribute ${key}.`);
  return v;
}

/** Validates a create body into a {@link CreateVolumeInput}. */
export function parseCreate(body: unknown): CreateVolumeInput {
  const v = member(body, 'volume');
  const input: CreateVolumeInput = {};
  const name = optString(v, 'name') ?? optString(v, 'display_name');
  if (name !== undefined) input.name = name;
  const description = optString(v, 'description') ?? optString(v, 'display_description');
  if (description !== undefined) input.description = description;
  const imageRef = optId(v, 'imageRef') ?? optId(v, 'image_id');
  if (imageRef !== undefined) input.imageRef = imageRef;
  const snapshotId = optId(v, 'snapshot_id');
  if (snapshotId !== undefined) input.snapshotId = snapshotId;
  const sourceVolid = optId(v, 'source_volid');
  if (sourceVolid !== undefined) input.sourceVolid = sourceVolid;
  const volumeType = optId(v, 'volume_type');
  if (volumeType !== undefined) input.volumeType = volumeType;
  const az = optId(v, 'availability_zone');
  if (az !== undefined) input.availabilityZone = az;
  if (v.metadata !== undefined && v.metadata !== null) input.metadata = checkMetadata(v.metadata);
  if (v.multiattach !== undefined) {
    const m = parseBool(v.multiattach);
    if (m === undefined) throw badRequest('volume.invalid_body', 'Invalid input for field/attribute multiattach.');
    input.multiattach = m;
  }
  // Cinder's scheduler hints (a sibling of `volume`): same_host / different_host name volumes (one id or a list).
  const hints = (body as Record<string, unknown>)['OS-SCH-HNT:scheduler_hints'];
  if (hints && typeof hints === 'object') {
    const ids = (h: unknown) => (typeof h === 'string' ? [h] : Array.isArray(h) ? h.map(String) : undefined);
    const same = ids((hints as Record<string, unknown>).same_host);
    const different = ids((hints as Record<string, unknown>).different_host);
    if (same) input.sameHost = same;
    if (different) input.differentHost = different;
  }
  const hasSource = snapshotId !== undefined || sourceVolid !== undefined;
  if (v.size !== undefined && v.size !== null) input.size = positiveInt(v.size, 'size');
  else if (!hasSource) positiveInt(v.size, 'size');
  return input;
}

/** The volume routes (mounted at `/v3/:project_id/volumes`). */
export function volumeRoutes(ctx: VolumeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const base = volumeBase(ctx.deps.config);
  const full = async (c: Context<AppEnv>, row: VolumeRow, form: 'create' | 'show' = 'show') =>
    volumeView(base, row, await ctx.attachments.ofVolume(row.id), c.var.auth, form);

  const list = async (c: Context<AppEnv>, detail: boolean) => {
    const rows = await ctx.volumes.list(c.var.auth, allTenants(c));
    const { page, next } = listPage(c, rows.map(listableVolume), {
      filters: FILTERS,
      aliases: { display_name: 'name' },
      selfUrl: collectionUrl(c, base, detail ? 'volumes/detail' : 'volumes'),
    });
    const volumes = detail
      ? await Promise.all(page.map((x) => full(c, x.row)))
      : page.map((x) => volumeSummary(base, x.row));
    return c.json({ volumes, ...(next ? { volumes_links: [{ rel: 'next', href: next }] } : {}) });
  };

  app.get('/', (c) => list(c, false));
  app.get('/detail', (c) => list(c, true));
  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:create');
    const input = parseCreate(await jsonBody(c));
    const row = await ctx.volumes.create(c.var.auth, input);
    return c.json({ volume: await full(c, row, 'create') }, 202);
  });
  // Cinder 3.12's summary (3.36 adds the metadata values seen per key).
  app.get('/summary', async (c) => {
    const rows = await ctx.volumes.list(c.var.auth, allTenants(c));
    const metadata: Record<string, string[]> = {};
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.metadata)) {
        const seen = metadata[k] ?? [];
        if (!seen.includes(v)) metadata[k] = [...seen, v];
      }
    }
    const total_size = rows.reduce((n, r) => n + r.sizeGiB, 0);
    return c.json({ 'volume-summary': { total_size, total_count: rows.length, metadata } });
  });
  app.get('/:id', async (c) =>
    c.json({ volume: await full(c, await ctx.volumes.load(c.var.auth, c.req.param('id'))) }),
  );
  app.put('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:update');
    const row = await ctx.volumes.load(c.var.auth, c.req.param('id'));
    const v = member(await jsonBody(c), 'volume');
    const fields: { name?: string | null; description?: string | null; metadata?: Record<string, string> } = {};
    const name = optString(v, 'name') ?? optString(v, 'display_name');
    if (name !== undefined) fields.name = name;
    const description = optString(v, 'description') ?? optString(v, 'display_description');
    if (description !== undefined) fields.description = description;
    if (v.metadata !== undefined) fields.metadata = checkMetadata(v.metadata);
    const updated = await ctx.volumes.update(row, fields);
    return c.json({ volume: await full(c, updated, 'create') });
  });
  app.delete('/:id', async (c) => {
    requireRole(c.var.auth, 'member', 'volume:delete');
    const row = await ctx.volumes.load(c.var.auth, c.req.param('id'));
    await ctx.volumes.remove(row, { cascade: parseBool(c.req.query('cascade') ?? 'false') === true });
    return c.body(null, 202);
  });

  // ------------------------------------------------------------------ metadata
  mountMetadataRoutes(app, {
    noun: 'Volume',
    kind: 'volume',
    load: (auth, id) => ctx.volumes.load(auth, id),
    update: (row, patch) => ctx.volumes.update(row, patch),
  });
  return app;
}
