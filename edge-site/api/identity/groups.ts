import { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../../shared/errors.ts';
import type { Group } from '../../../shared/schemas/catalog/index.ts';
import { DEFAULT_DOMAIN_ID } from '../../identity/bootstrap.ts';
import { groupView, userView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription, zName } from './common.ts';

const createSchema = z.object({
  group: z.object({ name: zName, domain_id: z.string().min(1).optional(), description: zDescription }),
});
const updateSchema = z.object({ group: z.object({ name: zName.optional(), description: zDescription }) });

/** /v3/groups and group membership. */
export function groupRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();

  app.get('/', (c) => {
    const a = caller(c);
    const domainId = c.req.query('domain_id') ?? a.domain?.id;
    enforce(
      policy.systemReader(a) || (domainId !== undefined && policy.domainReader(a, domainId)),
      'identity:list_groups',
    );
    let items = filterList(c, deps.catalog.list('groups'), ['name', 'domain_id']);
    if (!policy.systemReader(a)) items = items.filter((g) => g.domain_id === domainId);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'groups',
        items.map((g) => groupView(g, base)),
      ),
    );
  });
  app.post('/', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_group');
    const { group: b } = await jsonBody(c, createSchema);
    const g: Group = {
      id: admin.newId(),
      name: b.name,
      domain_id: b.domain_id ?? caller(c).project?.domainId ?? DEFAULT_DOMAIN_ID,
      description: b.description ?? '',
    };
    await admin.saveGroup(g, true);
    return c.json({ group: groupView(g, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    const g = admin.need('groups', c.req.param('id'));
    enforce(policy.domainReader(caller(c), g.domain_id), 'identity:get_group');
    return c.json({ group: groupView(g, baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:update_group');
    const prev = admin.need('groups', c.req.param('id'));
    const { group: b } = await jsonBody(c, updateSchema);
    const g: Group = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
    };
    await admin.saveGroup(g, false);
    return c.json({ group: groupView(g, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_group');
    await admin.deleteGroup(c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/:id/users', (c) => {
    const g = admin.need('groups', c.req.param('id'));
    enforce(policy.domainReader(caller(c), g.domain_id), 'identity:list_users_in_group');
    const users = deps.catalog
      .list('group_memberships')
      .filter((m) => m.group_id === g.id)
      .flatMap((m) => {
        const u = deps.catalog.get('users', m.user_id);
        return u ? [u] : [];
      });
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'users',
        filterList(c, users, ['name', 'domain_id', 'enabled']).map((u) => userView(u, base)),
      ),
    );
  });
  const member = (groupId: string, userId: string) => {
    admin.need('groups', groupId);
    admin.need('users', userId);
    return `${groupId}:${userId}`;
  };
  app.put('/:id/users/:uid', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:add_user_to_group');
    const id = member(c.req.param('id'), c.req.param('uid'));
    await admin.put('group_memberships', { id, group_id: c.req.param('id'), user_id: c.req.param('uid') });
    return c.body(null, 204);
  });
  app.get('/:id/users/:uid', (c) => {
    const g = admin.need('groups', c.req.param('id'));
    enforce(policy.domainReader(caller(c), g.domain_id), 'identity:check_user_in_group');
    const id = member(g.id, c.req.param('uid'));
    if (!deps.catalog.get('group_memberships', id)) {
      throw notFound('identity.not_member', `User ${c.req.param('uid')} is not a member of group ${g.id}.`);
    }
    return c.body(null, 204);
  });
  app.delete('/:id/users/:uid', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:remove_user_from_group');
    const id = member(c.req.param('id'), c.req.param('uid'));
    if (!deps.catalog.get('group_memberships', id)) {
      throw notFound(
        'identity.not_member',
        `User ${c.req.param('uid')} is not a member of group ${c.req.param('id')}.`,
      );
    }
    await admin.write([{ op: 'delete', collection: 'group_memberships', id }]);
    return c.body(null, 204);
  });
  return app;
}
