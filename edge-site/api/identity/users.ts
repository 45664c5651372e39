import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, unauthorized } from '../../../shared/errors.ts';
import type { User } from '../../../shared/schemas/catalog/index.ts';
import { DEFAULT_DOMAIN_ID } from '../../identity/bootstrap.ts';
import { groupView, projectView, userView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { verifyPassword } from '../../identity/passwords.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zName } from './common.ts';

const KNOWN = new Set([
  'id',
  'name',
  'domain_id',
  'enabled',
  'password',
  'default_project_id',
  'description',
  'email',
  'options',
  'links',
  'password_expires_at',
]);

const userFields = {
  domain_id: z.string().min(1).optional(),
  enabled: z.boolean().optional(),
  password: z.string().max(4096).nullish(),
  default_project_id: z.string().min(1).nullish(),
  description: z.string().max(65535).nullish(),
  email: z.string().max(255).nullish(),
  options: z.record(z.string(), z.unknown()).optional(),
};
const createSchema = z.object({ user: z.looseObject({ name: zName, ...userFields }) });
const updateSchema = z.object({ user: z.looseObject({ name: zName.optional(), ...userFields }) });
const passwordSchema = z.object({
  user: z.object({ password: z.string().min(1).max(4096), original_password: z.string().max(4096) }),
});

function extras(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) out[k] = v;
  return out;
}

/** /v3/users. */
export function userRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps, dir } = core;
  const app = new Hono<AppEnv>();

  const checkDefaultProject = (id: string | null | undefined) => {
    if (id && !dir.project(id)) {
      throw badRequest(
        'identity.project_not_found',
        `Invalid input for field/attribute default_project_id: no project ${id}.`,
      );
    }
  };

  app.get('/', (c) => {
    const a = caller(c);
    const domainId = c.req.query('domain_id') ?? a.domain?.id;
    enforce(
      policy.systemReader(a) || (domainId !== undefined && policy.domainReader(a, domainId)),
      'identity:list_users',
    );
    let items = filterList(c, deps.catalog.list('users'), ['name', 'domain_id', 'enabled']);
    if (!policy.systemReader(a)) items = items.filter((u) => u.domain_id === domainId);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'users',
        items.map((u) => userView(u, base)),
      ),
    );
  });
  app.post('/', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_user');
    const { user: b } = await jsonBody(c, createSchema);
    checkDefaultProject(b.default_project_id);
    const u: User = {
      id: admin.newId(),
      name: b.name,
      domain_id: b.domain_id ?? caller(c).project?.domainId ?? DEFAULT_DOMAIN_ID,
      enabled: b.enabled ?? true,
      ...(b.default_project_id ? { default_project_id: b.default_project_id } : {}),
      ...(b.description != null ? { description: b.description } : {}),
      ...(b.email != null ? { email: b.email } : {}),
      extra: extras(b),
    };
    const saved = await admin.saveUser(u, true, b.password ?? undefined);
    return c.json({ user: userView(saved, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    const a = caller(c);
    const u = admin.need('users', c.req.param('id'));
    enforce(policy.domainReader(a, u.domain_id) || a.userId === u.id, 'identity:get_user');
    return c.json({ user: userView(u, baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:update_user');
    const prev = admin.need('users', c.req.param('id'));
    const { user: b } = await jsonBody(c, updateSchema);
    checkDefaultProject(b.default_project_id);
    const u: User = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      ...(b.default_project_id !== undefined ? { default_project_id: b.default_project_id } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
      ...(b.email !== undefined ? { email: b.email ?? '' } : {}),
      extra: { ...(prev.extra ?? {}), ...extras(b) },
    };
    if (b.domain_id !== undefined && b.domain_id !== prev.domain_id) {
      throw badRequest('identity.domain_immutable', 'Invalid input for field/attribute domain_id: it cannot change.');
    }
    const saved = await admin.saveUser(u, false, b.password === undefined ? undefined : b.password);
    return c.json({ user: userView(saved, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_user');
    await admin.deleteUser(c.req.param('id'));
    return c.body(null, 204);
  });
  app.get('/:id/projects', (c) => {
    const a = caller(c);
    const u = admin.need('users', c.req.param('id'));
    enforce(policy.domainReader(a, u.domain_id) || a.userId === u.id, 'identity:list_user_projects');
    const base = baseUrl(c);
    const items = filterList(c, dir.projectsOf(u.id), ['name', 'domain_id', 'enabled']);
    return c.json(
      listBody(
        c,
        'projects',
        items.map((p) => projectView(p, base)),
      ),
    );
  });
  app.get('/:id/groups', (c) => {
    const a = caller(c);
    const u = admin.need('users', c.req.param('id'));
    enforce(policy.domainReader(a, u.domain_id) || a.userId === u.id, 'identity:list_groups_for_user');
    const base = baseUrl(c);
    const groups = dir.groupsOf(u.id).flatMap((g) => {
      const group = deps.catalog.get('groups', g);
      return group ? [group] : [];
    });
    return c.json(
      listBody(
        c,
        'groups',
        filterList(c, groups, ['name', 'domain_id']).map((g) => groupView(g, base)),
      ),
    );
  });
  return app;
}

/**
 * POST /v3/users/{id}/password: self-service password change. Like Keystone, it needs no token (the original
 * password is the credential, so a user with an expired password can still change it); it ends the user's sessions.
 */
export function passwordRoute(core: IdentityCore): Hono<AppEnv> {
  const { admin } = core;
  const app = new Hono<AppEnv>();
  app.post('/:id/password', async (c) => {
    const u = admin.need('users', c.req.param('id'));
    const { user: b } = await jsonBody(c, passwordSchema);
    if (!(await verifyPassword(b.original_password, u.password_hash))) {
      throw unauthorized('identity.bad_credentials', 'The request you have made requires authentication.');
    }
    await admin.saveUser(u, false, b.password);
    return c.body(null, 204);
  });
  return app;
}
