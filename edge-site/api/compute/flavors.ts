/** `/v2.1/flavors`: list, detail, show, create/delete/update (admin), os-extra_specs, os-flavor-access. */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { Flavor } from '../../../shared/schemas/catalog/index.ts';
import {
  accessList,
  addAccess,
  createFlavor,
  deleteFlavor,
  getFlavor,
  listFlavors,
  putExtraSpecs,
  removeAccess,
} from '../../compute/flavors.ts';
import { nextLink, resourceLinks } from '../../compute/links.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { SiteDeps } from '../../services.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { paginate } from './paging.ts';

/** A flavor's summary (list) form. */
function summary(c: Context<AppEnv>, f: Flavor) {
  return {
    id: f.id,
    name: f.name,
    links: resourceLinks(c, 'flavors', f.id),
    ...(atLeast(c, 55) ? { description: f.description } : {}),
  };
}

/** A flavor's full form for the request's microversion. */
export function flavorView(c: Context<AppEnv>, f: Flavor) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    vcpus: f.vcpus,
    disk: f.disk,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    // Before 2.75 Nova shows a zero swap as "".
    swap: f.swap === 0 && !atLeast(c, 75) ? '' : f.swap,
    rxtx_factor: f.rxtx_factor,
    'OS-FLV-DISABLED:disabled': f.disabled,
    'os-flavor-access:is_public': f.is_public,
    links: resourceLinks(c, 'flavors', f.id),
    ...(atLeast(c, 55) ? { description: f.description } : {}),
    ...(atLeast(c, 61) ? { extra_specs: { ...f.extra_specs } } : {}),
  };
}

const intField = z.union([z.number().int(), z.string().regex(/^\s*-?\d+\s*$/)]).transform((v) => Number(v));
const createSchema = z.object({
  flavor: z.object({
    name: z
      .string()
      .min(1)
      .max(255)
      .refine((s) => s.trim() === s && s.length > 0, 'name has leading or trailing whitespace'),
    id: z
      .union([
        z
          .string()
          .min(1)
          .max(255)
          .regex(/^[\w.\- ]+$/),
        z.number().int(),
      ])
      .nullish()
      .transform((v) => (v == null ? v : String(v))),
    ram: intField.pipe(z.number().min(1)),
    vcpus: intField.pipe(z.number().min(1)),
    disk: intField.pipe(z.number().min(0)),
    'OS-FLV-EXT-DATA:ephemeral': intField.pipe(z.number().min(0)).optional(),
    swap: z
      .union([intField.pipe(z.number().min(0)), z.literal('')])
      .optional()
      .transform((v) => (v === '' ? 0 : v)),
    rxtx_factor: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]).optional(),
    'os-flavor-access:is_public': z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])]).optional(),
    description: z.string().max(65535).nullish(),
  }),
});

const specsSchema = z.object({
  extra_specs: z.record(
    z
      .string()
      .min(1)
      .max(255)
      .regex(/^[a-zA-Z0-9-_:. ]+$/),
    z.union([z.string().max(255), z.number(), z.boolean()]).transform(String),
  ),
});

const accessSchema = z.union([
  z.object({ addTenantAccess: z.object({ tenant: z.string().min(1).max(255) }) }),
  z.object({ removeTenantAccess: z.object({ tenant: z.string().min(1).max(255) }) }),
]);

/** The flavors sub-app. */
export function flavorRoutes(deps: SiteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalog } = deps;

  const list = (c: Context<AppEnv>, detail: boolean) => {
    const q = c.req.query();
    const all = listFlavors(catalog, c.var.auth, {
      isPublic: q.is_public,
      minRam: q.minRam,
      minDisk: q.minDisk,
      sortKey: q.sort_key,
      sortDir: q.sort_dir,
    });
    const page = paginate(all, q.limit, q.marker, (f) => f.id);
    return c.json({
      flavors: page.items.map((f) => (detail ? flavorView(c, f) : summary(c, f))),
      ...(page.next ? { flavors_links: nextLink(c, page.next) } : {}),
    });
  };
  app.get('/', (c) => list(c, false));
  app.get('/detail', (c) => list(c, true));
  app.get('/:id', (c) => c.json({ flavor: flavorView(c, getFlavor(catalog, c.var.auth, c.req.param('id'))) }));

  app.post('/', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-manage:create');
    const { flavor: b } = await jsonBody(c, createSchema);
    if (b.description != null && !atLeast(c, 55)) {
      throw badRequest('api.invalid_body', "Additional properties are not allowed ('description' was unexpected)");
    }
    const isPublic = b['os-flavor-access:is_public'];
    const flavor = await createFlavor(deps, {
      id: b.id,
      name: b.name,
      ram: b.ram,
      vcpus: b.vcpus,
      disk: b.disk,
      ephemeral: b['OS-FLV-EXT-DATA:ephemeral'],
      swap: b.swap,
      rxtx_factor: b.rxtx_factor === undefined ? undefined : Number(b.rxtx_factor),
      is_public: isPublic === undefined ? undefined : String(isPublic).toLowerCase() === 'true',
      description: b.description,
    });
    return c.json({ flavor: flavorView(c, flavor) });
  });

  app.put('/:id', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-manage:update');
    if (!atLeast(c, 55)) throw notFound('api.route_not_found', 'The resource could not be found.');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const body = await jsonBody(c, z.object({ flavor: z.object({ description: z.string().max(65535).nullable() }) }));
    const next = { ...f, description: body.flavor.description };
    await catalog.put('flavors', next);
    return c.json({ flavor: flavorView(c, next) });
  });

  app.delete('/:id', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-manage:delete');
    await deleteFlavor(catalog, c.req.param('id'));
    return c.body(null, 202);
  });

  // ---- os-extra_specs
  app.get('/:id/os-extra_specs', (c) => {
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    return c.json({ extra_specs: { ...f.extra_specs } });
  });
  app.post('/:id/os-extra_specs', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-extra-specs:create');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const { extra_specs } = await jsonBody(c, specsSchema);
    await putExtraSpecs(catalog, f, { ...f.extra_specs, ...extra_specs });
    return c.json({ extra_specs });
  });
  app.get('/:id/os-extra_specs/:key', (c) => {
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    const value = f.extra_specs[key];
    if (value === undefined) {
      throw notFound('compute.extra_spec_not_found', `Flavor ${f.id} has no extra specs with key ${key}.`);
    }
    return c.json({ [key]: value });
  });
  app.put('/:id/os-extra_specs/:key', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-extra-specs:update');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    const body = await jsonBody(c, specsSchema.shape.extra_specs);
    const keys = Object.keys(body);
    if (keys.length !== 1) throw badRequest('compute.invalid_body', 'Request body contains too many items.');
    if (keys[0] !== key) throw badRequest('compute.invalid_body', 'Request body and URI mismatch');
    await putExtraSpecs(catalog, f, { ...f.extra_specs, ...body });
    return c.json(body);
  });
  app.delete('/:id/os-extra_specs/:key', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-extra-specs:delete');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const key = c.req.param('key');
    if (f.extra_specs[key] === undefined) {
      throw notFound('compute.extra_spec_not_found', `Flavor ${f.id} has no extra specs with key ${key}.`);
    }
    const { [key]: _gone, ...rest } = f.extra_specs;
    await putExtraSpecs(catalog, f, rest);
    return c.body(null, 200);
  });

  // ---- os-flavor-access
  app.get('/:id/os-flavor-access', (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-access');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    return c.json({ flavor_access: accessList(catalog, f) });
  });
  app.post('/:id/action', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-flavor-access:add_tenant_access');
    const f = getFlavor(catalog, c.var.auth, c.req.param('id'));
    const body = await jsonBody(c, accessSchema);
    if ('addTenantAccess' in body) await addAccess(catalog, f, body.addTenantAccess.tenant);
    else await removeAccess(catalog, f, body.removeTenantAccess.tenant);
    return c.json({ flavor_access: accessList(catalog, f) });
  });
  return app;
}
