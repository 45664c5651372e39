import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, conflict, forbidden } from '../../../shared/errors.ts';
import type { Endpoint, Region, Service } from '../../../shared/schemas/catalog/index.ts';
import { endpointView, regionView, serviceView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription } from './common.ts';

const serviceFields = {
  name: z.string().max(255).optional(),
  description: zDescription,
  enabled: z.boolean().optional(),
};
const serviceCreate = z.object({ service: z.object({ type: z.string().min(1).max(255), ...serviceFields }) });
const serviceUpdate = z.object({
  service: z.object({ type: z.string().min(1).max(255).optional(), ...serviceFields }),
});
const iface = z.enum(['public', 'internal', 'admin']);
const endpointCreate = z.object({
  endpoint: z.object({
    service_id: z.string().min(1),
    interface: iface,
    url: z.string().min(1).max(2048),
    region_id: z.string().min(1).nullish(),
    region: z.string().min(1).nullish(),
    enabled: z.boolean().optional(),
  }),
});
const endpointUpdate = z.object({
  endpoint: z.object({
    service_id: z.string().min(1).optional(),
    interface: iface.optional(),
    url: z.string().min(1).max(2048).optional(),
    region_id: z.string().min(1).nullish(),
    region: z.string().min(1).nullish(),
    enabled: z.boolean().optional(),
  }),
});
const regionCreate = z.object({
  region: z.object({
    id: z.string().min(1).max(255).optional(),
    description: zDescription,
    parent_region_id: z.string().min(1).nullish(),
  }),
});
const regionUpdate = z.object({
  region: z.object({ description: zDescription, parent_region_id: z.string().min(1).nullish() }),
});

/** /v3/services, /v3/endpoints, /v3/regions. */
export function catalogRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const c0 = deps.catalog;
  const app = new Hono<AppEnv>();
  const adminOnly = (action: string) => (c: Parameters<typeof caller>[0]) => enforce(policy.admin(caller(c)), action);
  const readerOnly = (action: string) => (c: Parameters<typeof caller>[0]) =>
    enforce(policy.systemReader(caller(c)), action);

  // Services.
  app.get('/services', (c) => {
    readerOnly('identity:list_services')(c);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'services',
        filterList(c, c0.list('services'), ['type', 'name']).map((s) => serviceView(s, base)),
      ),
    );
  });
  app.post('/services', async (c) => {
    adminOnly('identity:create_service')(c);
    const { service: b } = await jsonBody(c, serviceCreate);
    const s: Service = {
      id: admin.newId(),
      type: b.type,
      name: b.name ?? '',
      description: b.description ?? '',
      enabled: b.enabled ?? true,
    };
    await admin.put('services', s);
    return c.json({ service: serviceView(s, baseUrl(c)) }, 201);
  });
  app.get('/services/:id', (c) => {
    readerOnly('identity:get_service')(c);
    return c.json({ service: serviceView(admin.need('services', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/services/:id', async (c) => {
    adminOnly('identity:update_service')(c);
    const prev = admin.need('services', c.req.param('id'));
    const { service: b } = await jsonBody(c, serviceUpdate);
    const s: Service = {
      ...prev,
      ...(b.type !== undefined ? { type: b.type } : {}),
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
    };
    await admin.put('services', s);
    return c.json({ service: serviceView(s, baseUrl(c)) });
  });
  app.delete('/services/:id', async (c) => {
    adminOnly('identity:delete_service')(c);
    const id = admin.need('services', c.req.param('id')).id;
    const endpoints = c0.list('endpoints').filter((e) => e.service_id === id);
    await admin.write([
      ...endpoints.map((e) => ({ op: 'delete' as const, collection: 'endpoints' as const, id: e.id })),
      { op: 'delete', collection: 'services', id },
    ]);
    return c.body(null, 204);
  });

  // Endpoints.
  /** Keystone creates a named region that does not exist yet when an endpoint names it. */
  const regionOf = async (b: { region_id?: string | null; region?: string | null }) => {
    const id = b.region_id ?? b.region ?? deps.config.region;
    if (!c0.get('regions', id)) await admin.put('regions', { id, description: '', parent_region_id: null });
    return id;
  };
  const serviceMustExist = (id: string) => {
    if (!c0.get('services', id)) throw badRequest('identity.service_not_found', `Could not find service: ${id}.`);
  };
  app.get('/endpoints', (c) => {
    readerOnly('identity:list_endpoints')(c);
    const base = baseUrl(c);
    const items = filterList(c, c0.list('endpoints'), ['interface', 'service_id', 'region_id', 'enabled']);
    const region = c.req.query('region');
    return c.json(
      listBody(
        c,
        'endpoints',
        items.filter((e) => region === undefined || e.region_id === region).map((e) => endpointView(e, base)),
      ),
    );
  });
  app.post('/endpoints', async (c) => {
    adminOnly('identity:create_endpoint')(c);
    const { endpoint: b } = await jsonBody(c, endpointCreate);
    serviceMustExist(b.service_id);
    const e: Endpoint = {
      id: admin.newId(),
      service_id: b.service_id,
      interface: b.interface,
      url: b.url,
      region_id: await regionOf(b),
      enabled: b.enabled ?? true,
    };
    await admin.put('endpoints', e);
    return c.json({ endpoint: endpointView(e, baseUrl(c)) }, 201);
  });
  app.get('/endpoints/:id', (c) => {
    readerOnly('identity:get_endpoint')(c);
    return c.json({ endpoint: endpointView(admin.need('endpoints', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/endpoints/:id', async (c) => {
    adminOnly('identity:update_endpoint')(c);
    const prev = admin.need('endpoints', c.req.param('id'));
    const { endpoint: b } = await jsonBody(c, endpointUpdate);
    if (b.service_id !== undefined) serviceMustExist(b.service_id);
    const regionId = b.region_id != null || b.region != null ? await regionOf(b) : prev.region_id;
    const e: Endpoint = {
      ...prev,
      region_id: regionId,
      ...(b.service_id !== undefined ? { service_id: b.service_id } : {}),
      ...(b.interface !== undefined ? { interface: b.interface } : {}),
      ...(b.url !== undefined ? { url: b.url } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
    };
    await admin.put('endpoints', e);
    return c.json({ endpoint: endpointView(e, baseUrl(c)) });
  });
  app.delete('/endpoints/:id', async (c) => {
    adminOnly('identity:delete_endpoint')(c);
    const id = admin.need('endpoints', c.req.param('id')).id;
    await admin.write([{ op: 'delete', collection: 'endpoints', id }]);
    return c.body(null, 204);
  });

  // Regions (readable by any authenticated user, as in Keystone).
  app.get('/regions', (c) => {
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'regions',
        filterList(c, c0.list('regions'), ['parent_region_id']).map((r) => regionView(r, base)),
      ),
    );
  });
  const createRegion = async (id: string, b: z.infer<typeof regionCreate>['region']) => {
    if (c0.get('regions', id))
      throw conflict(
        'identity.duplicate_region',
        `Conflict occurred attempting to store region - Duplicate ID, ${id}.`,
      );
    const parent = b.parent_region_id ?? null;
    if (parent && !c0.get('regions', parent)) {
      throw badRequest(
        'identity.region_not_found',
        `Invalid input for field/attribute parent_region_id: no region ${parent}.`,
      );
    }
    const r: Region = { id, description: b.description ?? '', parent_region_id: parent };
    await admin.put('regions', r);
    return r;
  };
  app.post('/regions', async (c) => {
    adminOnly('identity:create_region')(c);
    const { region: b } = await jsonBody(c, regionCreate);
    const r = await createRegion(b.id ?? admin.newId(), b);
    return c.json({ region: regionView(r, baseUrl(c)) }, 201);
  });
  app.put('/regions/:id', async (c) => {
    adminOnly('identity:create_region')(c);
    const { region: b } = await jsonBody(c, regionCreate);
    const r = await createRegion(c.req.param('id'), b);
    return c.json({ region: regionView(r, baseUrl(c)) }, 201);
  });
  app.get('/regions/:id', (c) => c.json({ region: regionView(admin.need('regions', c.req.param('id')), baseUrl(c)) }));
  app.patch('/regions/:id', async (c) => {
    adminOnly('identity:update_region')(c);
    const prev = admin.need('regions', c.req.param('id'));
    const { region: b } = await jsonBody(c, regionUpdate);
    const r: Region = {
      ...prev,
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.parent_region_id !== undefined ? { parent_region_id: b.parent_region_id ?? null } : {}),
    };
    await admin.put('regions', r);
    return c.json({ region: regionView(r, baseUrl(c)) });
  });
  app.delete('/regions/:id', async (c) => {
    adminOnly('identity:delete_region')(c);
    const id = admin.need('regions', c.req.param('id')).id;
    if (
      c0.list('regions').some((r) => r.parent_region_id === id) ||
      c0.list('endpoints').some((e) => e.region_id === id)
    ) {
      throw forbidden('identity.region_in_use', `Region ${id} has child regions or endpoints and cannot be deleted.`);
    }
    await admin.write([{ op: 'delete', collection: 'regions', id }]);
    return c.body(null, 204);
  });
  return app;
}
