/**
 * The small Cinder resources: volume types (the one `__DEFAULT__`), availability zones, extensions, quota sets and
 * limits. Each is a sub-app mounted under `/v3/:project_id`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../../shared/errors.ts';
import type { VolumeContext } from '../../volume/context.ts';
import { DEFAULT_QUOTAS, DEFAULT_TYPE, VOLUME_ZONE } from '../../volume/model.ts';
import type { QuotaResource } from '../../volume/quotas.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { canSeeProject, requireRole } from '../policy.ts';

const TYPE_VIEW = {
  id: DEFAULT_TYPE.id,
  name: DEFAULT_TYPE.name,
  description: 'Default Volume Type',
  is_public: true,
  'os-volume-type-access:is_public': true,
  qos_specs_id: null,
  extra_specs: {},
};

/** `/types`: list and show. */
export function typeRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.json({ volume_types: [TYPE_VIEW] }));
  app.get('/default', (c) => c.json({ volume_type: TYPE_VIEW }));
  app.get('/:id', (c) => {
    const id = c.req.param('id');
    if (id !== DEFAULT_TYPE.id && id !== DEFAULT_TYPE.name) {
      throw notFound('volume.type_not_found', `Volume type ${id} could not be found.`);
    }
    return c.json({ volume_type: TYPE_VIEW });
  });
  app.get('/:id/extra_specs', (c) => c.json({ extra_specs: {} }));
  return app;
}

/** `/os-availability-zone`. */
export function zoneRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) =>
    c.json({
      availabilityZoneInfo: [{ zoneName: VOLUME_ZONE, zoneState: { available: true } }],
    }),
  );
  return app;
}

const EXTENSIONS: Array<[string, string, string]> = [
  ['os-availability-zone', 'AvailabilityZones', 'Describe Availability Zones.'],
  ['os-extended-snapshot-attributes', 'ExtendedSnapshotAttributes', 'Extended SnapshotAttributes support.'],
  ['os-quota-sets', 'Quotas', 'Quota management support.'],
  ['os-snapshot-actions', 'SnapshotActions', 'Enable snapshot manager actions.'],
  ['os-vol-host-attr', 'VolumeHostAttribute', 'Expose host as an attribute of a volume.'],
  ['os-vol-tenant-attr', 'VolumeTenantAttribute', 'Expose the internal project_id as an attribute of a volume.'],
  ['os-volume-actions', 'VolumeActions', 'Enable volume actions.'],
  ['os-volume-type-access', 'VolumeTypeAccess', 'Volume type access support.'],
  ['os-admin-actions', 'AdminActions', 'Enable admin actions.'],
  // Tempest's api_extensions=all check looks for it by name; the os-hosts listing itself is not served yet.
  ['os-hosts', 'Hosts', 'Admin-only host administration.'],
];

/** `/extensions`. */
export function extensionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) =>
    c.json({
      extensions: EXTENSIONS.map(([alias, name, description]) => ({
        alias,
        name,
        description,
        namespace: `https://docs.openstack.org/volume/ext/${alias}/api/v1`,
        updated: '2013-01-01T00:00:00+00:00',
        links: [],
      })),
    }),
  );
  return app;
}

const quotaBody = z.object({
  quota_set: z
    .object(Object.fromEntries(Object.keys(DEFAULT_QUOTAS).map((k) => [k, z.coerce.number().int().min(-1).optional()])))
    .passthrough(),
});

/** `/os-quota-sets/{project}` (+ `/defaults`, `?usage=True`), update and delete (admin). */
export function quotaRoutes(ctx: VolumeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/:project/defaults', (c) => c.json({ quota_set: { id: c.req.param('project'), ...DEFAULT_QUOTAS } }));
  app.get('/:project', async (c) => {
    const project = c.req.param('project');
    if (!canSeeProject(c.var.auth, project)) requireRole(c.var.auth, 'admin', 'volume_extension:quotas:show');
    const limits = await ctx.quotas.limits(project);
    const usageParam = (c.req.query('usage') ?? '').toLowerCase();
    if (usageParam !== 'true' && usageParam !== '1') return c.json({ quota_set: { id: project, ...limits } });
    const used = await ctx.quotas.usage(project);
    const detail = Object.fromEntries(
      (Object.keys(limits) as QuotaResource[]).map((k) => [
        k,
        { limit: limits[k], in_use: used[k], reserved: 0, allocated: 0 },
      ]),
    );
    return c.json({ quota_set: { id: project, ...detail } });
  });
  app.put('/:project', async (c) => {
    requireRole(c.var.auth, 'admin', 'volume_extension:quotas:update');
    const { quota_set } = await jsonBody(c, quotaBody);
    const known = Object.fromEntries(
      Object.entries(quota_set).filter(([k, v]) => k in DEFAULT_QUOTAS && typeof v === 'number'),
    ) as Partial<Record<QuotaResource, number>>;
    return c.json({ quota_set: await ctx.quotas.set(c.req.param('project'), known) });
  });
  app.delete('/:project', async (c) => {
    requireRole(c.var.auth, 'admin', 'volume_extension:quotas:delete');
    await ctx.quotas.reset(c.req.param('project'));
    return c.body(null, 200);
  });
  return app;
}

/** `/limits`: absolute limits and usage of the caller's project. */
export function limitRoutes(ctx: VolumeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    const project = c.var.auth.project?.id ?? '';
    const [l, u] = await Promise.all([ctx.quotas.limits(project), ctx.quotas.usage(project)]);
    return c.json({
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: l.volumes,
          maxTotalSnapshots: l.snapshots,
          maxTotalVolumeGigabytes: l.gigabytes,
          maxTotalBackups: l.backups,
          maxTotalBackupGigabytes: l.backup_gigabytes,
          totalVolumesUsed: u.volumes,
          totalSnapshotsUsed: u.snapshots,
          totalGigabytesUsed: u.gigabytes,
          totalBackupsUsed: 0,
          totalBackupGigabytesUsed: 0,
        },
      },
    });
  });
  return app;
}
