import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import type { Project } from '../../../shared/schemas/catalog/index.ts';
import { DEFAULT_DOMAIN_ID } from '../../identity/bootstrap.ts';
import { projectView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription, zName64, zTags } from './common.ts';

/** Keystone's domain_id for projects acting as domains. */
const DOMAIN_ROOT = '<<keystone.domain.root>>';

const createSchema = z.object({
  project: z.object({
    name: zName64,
    domain_id: z.string().min(1).nullish(),
    parent_id: z.string().min(1).nullish(),
    description: zDescription,
    enabled: z.boolean().optional(),
    is_domain: z.boolean().optional(),
    tags: zTags.optional(),
  }),
});
const updateSchema = z.object({
  project: z.object({
    name: zName64.optional(),
    description: zDescription,
    enabled: z.boolean().optional(),
    tags: zTags.optional(),
  }),
});

/** /v3/projects. */
export function projectRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();

  app.get('/', (c) => {
    const a = caller(c);
    const domainId = c.req.query('domain_id') ?? a.domain?.id;
    enforce(
      policy.systemReader(a) || (domainId !== undefined && policy.domainReader(a, domainId)),
      'identity:list_projects',
    );
    let items = filterList(c, deps.catalog.list('projects'), [
      'name',
      'domain_id',
      'enabled',
      'parent_id',
      'is_domain',
    ]);
    if (!policy.systemReader(a)) items = items.filter((p) => p.domain_id === domainId);
    const tags = c.req.query('tags');
    if (tags) items = items.filter((p) => tags.split(',').every((t) => p.tags.includes(t)));
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'projects',
        items.map((p) => projectView(p, base)),
      ),
    );
  });
  app.post('/', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_project');
    const { project: b } = await jsonBody(c, createSchema);
    if (b.is_domain) {
      if (b.parent_id || b.domain_id) {
        throw badRequest('identity.invalid_domain_project', 'A project acting as a domain has no parent or domain.');
      }
      const d: Project = {
        id: admin.newId(),
        name: b.name,
        domain_id: DOMAIN_ROOT,
        description: b.description ?? '',
        enabled: b.enabled ?? true,
        parent_id: null,
        is_domain: true,
        tags: b.tags ?? [],
      };
      await admin.saveProject(d, true);
      return c.json({ project: projectView(d, baseUrl(c)) }, 201);
    }
    let domainId = b.domain_id ?? undefined;
    let parentId = b.parent_id ?? null;
    if (parentId) {
      const parent = deps.catalog.get('projects', parentId);
      if (!parent) throw badRequest('identity.parent_not_found', `Could not find parent project: ${parentId}.`);
      if (domainId && domainId !== parent.domain_id) {
        throw badRequest('identity.invalid_parent', 'Invalid input for field/attribute parent_id: not in domain_id.');
      }
      domainId = parent.domain_id;
    }
    domainId ??= caller(c).project?.domainId ?? DEFAULT_DOMAIN_ID;
    parentId ??= domainId;
    const p: Project = {
      id: admin.newId(),
      name: b.name,
      domain_id: domainId,
      description: b.description ?? '',
      enabled: b.enabled ?? true,
      parent_id: parentId,
      is_domain: false,
      tags: b.tags ?? [],
    };
    await admin.saveProject(p, true);
    return c.json({ project: projectView(p, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    const a = caller(c);
    const p = admin.need('projects', c.req.param('id'));
    enforce(policy.domainReader(a, p.domain_id) || a.project?.id === p.id, 'identity:get_project');
    return c.json({ project: projectView(p, baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:update_project');
    const prev = admin.need('projects', c.req.param('id'));
    const { project: b } = await jsonBody(c, updateSchema);
    const p: Project = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      ...(b.tags !== undefined ? { tags: b.tags } : {}),
    };
    await admin.saveProject(p, false);
    return c.json({ project: projectView(p, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_project');
    await admin.deleteProject(c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
