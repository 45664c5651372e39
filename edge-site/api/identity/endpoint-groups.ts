import { Hono } from 'hono';
import { z } from 'zod';
import type { Endpoint, EndpointGroup } from '../../../shared/schemas/catalog/index.ts';
import { endpointView, projectView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription } from './common.ts';

/** Keystone accepts only these filter keys. */
const zFilters = z.strictObject({
  interface: z.enum(['public', 'internal', 'admin']).optional(),
  service_id: z.string().min(1).max(64).optional(),
  region_id: z.string().min(1).max(255).optional(),
});
const groupCreate = z.object({
  endpoint_group: z.object({ name: z.string().min(1).max(255), description: zDescription, filters: zFilters }),
});
const groupUpdate = z.object({
  endpoint_group: z.object({
    name: z.string().min(1).max(255).optional(),
    description: zDescription,
    filters: zFilters.optional(),
  }),
});

function groupView(g: EndpointGroup, base: string) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    filters: g.filters,
    links: { self: `${base}/v3/OS-EP-FILTER/endpoint_groups/${g.id}` },
  };
}

function matches(g: EndpointGroup, e: Endpoint): boolean {
  const rec = e as unknown as Record<string, unknown>;
  return Object.entries(g.filters).every(([k, v]) => rec[k] === v);
}

/**
 * /v3/OS-EP-FILTER endpoint groups and their project associations. Keystone's defaults: system readers read,
 * admins write. (The groups are stored and served; token catalogs are not filtered by them yet.)
 */
export function endpointGroupRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps, dir } = core;
  const c0 = deps.catalog;
  const app = new Hono<AppEnv>();
  type Ctx = Parameters<typeof caller>[0];
  const reader = (c: Ctx, action: string) => enforce(policy.systemReader(caller(c)), action);
  const writer = (c: Ctx, action: string) => enforce(policy.admin(caller(c)), action);
  const projectMustExist = (id: string) => admin.need('projects', id);
  const assocId = (groupId: string, projectId: string) => `${groupId}:${projectId}`;

  app.get('/endpoint_groups', (c) => {
    reader(c, 'identity:list_endpoint_groups');
    const base = baseUrl(c);
    const items = filterList(c, c0.list('endpoint_groups'), ['name']).map((g) => groupView(g, base));
    return c.json(listBody(c, 'endpoint_groups', items));
  });
  app.post('/endpoint_groups', async (c) => {
    writer(c, 'identity:create_endpoint_group');
    const { endpoint_group: b } = await jsonBody(c, groupCreate);
    const g: EndpointGroup = { id: admin.newId(), name: b.name, description: b.description ?? '', filters: b.filters };
    await admin.put('endpoint_groups', g);
    return c.json({ endpoint_group: groupView(g, baseUrl(c)) }, 201);
  });
  app.on(['GET', 'HEAD'], '/endpoint_groups/:id', (c) => {
    reader(c, 'identity:get_endpoint_group');
    return c.json({ endpoint_group: groupView(admin.need('endpoint_groups', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/endpoint_groups/:id', async (c) => {
    writer(c, 'identity:update_endpoint_group');
    const prev = admin.need('endpoint_groups', c.req.param('id'));
    const { endpoint_group: b } = await jsonBody(c, groupUpdate);
    const g: EndpointGroup = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.filters !== undefined ? { filters: b.filters } : {}),
    };
    await admin.put('endpoint_groups', g);
    return c.json({ endpoint_group: groupView(g, baseUrl(c)) });
  });
  app.delete('/endpoint_groups/:id', async (c) => {
    writer(c, 'identity:delete_endpoint_group');
    const id = admin.need('endpoint_groups', c.req.param('id')).id;
    const assocs = c0.list('endpoint_group_projects').filter((a) => a.endpoint_group_id === id);
    await admin.write([
      ...assocs.map((a) => ({ op: 'delete' as const, collection: 'endpoint_group_projects' as const, id: a.id })),
      { op: 'delete', collection: 'endpoint_groups', id },
    ]);
    return c.body(null, 204);
  });
  app.get('/endpoint_groups/:id/endpoints', (c) => {
    reader(c, 'identity:list_endpoints_associated_with_endpoint_group');
    const g = admin.need('endpoint_groups', c.req.param('id'));
    const base = baseUrl(c);
    const items = c0
      .list('endpoints')
      .filter((e) => matches(g, e))
      .map((e) => endpointView(e, base));
    return c.json(listBody(c, 'endpoints', items));
  });
  app.get('/endpoint_groups/:id/projects', (c) => {
    reader(c, 'identity:list_projects_associated_with_endpoint_group');
    const id = admin.need('endpoint_groups', c.req.param('id')).id;
    const base = baseUrl(c);
    const items = c0
      .list('endpoint_group_projects')
      .filter((a) => a.endpoint_group_id === id)
      .flatMap((a) => {
        const p = dir.project(a.project_id);
        return p ? [projectView(p, base)] : [];
      });
    return c.json(listBody(c, 'projects', items));
  });
  app.put('/endpoint_groups/:id/projects/:project', async (c) => {
    writer(c, 'identity:add_endpoint_group_to_project');
    const gid = admin.need('endpoint_groups', c.req.param('id')).id;
    const pid = projectMustExist(c.req.param('project')).id;
    await admin.put('endpoint_group_projects', { id: assocId(gid, pid), endpoint_group_id: gid, project_id: pid });
    return c.body(null, 204);
  });
  app.on(['GET', 'HEAD'], '/endpoint_groups/:id/projects/:project', (c) => {
    reader(c, 'identity:get_endpoint_group_in_project');
    const gid = admin.need('endpoint_groups', c.req.param('id')).id;
    const p = projectMustExist(c.req.param('project'));
    admin.need('endpoint_group_projects', assocId(gid, p.id));
    return c.json({ project: projectView(p, baseUrl(c)) });
  });
  app.delete('/endpoint_groups/:id/projects/:project', async (c) => {
    writer(c, 'identity:remove_endpoint_group_from_project');
    const id = assocId(c.req.param('id'), c.req.param('project'));
    admin.need('endpoint_groups', c.req.param('id'));
    admin.need('endpoint_group_projects', id);
    await admin.write([{ op: 'delete', collection: 'endpoint_group_projects', id }]);
    return c.body(null, 204);
  });
  app.get('/projects/:project/endpoint_groups', (c) => {
    reader(c, 'identity:list_endpoint_groups_for_project');
    const pid = projectMustExist(c.req.param('project')).id;
    const base = baseUrl(c);
    const items = c0
      .list('endpoint_group_projects')
      .filter((a) => a.project_id === pid)
      .flatMap((a) => {
        const g = c0.get('endpoint_groups', a.endpoint_group_id);
        return g ? [groupView(g, base)] : [];
      });
    return c.json(listBody(c, 'endpoint_groups', items));
  });
  return app;
}
