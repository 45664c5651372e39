import { Hono } from 'hono';
import { notFound } from '../../../shared/errors.ts';
import { assignmentId } from '../../identity/admin.ts';
import { roleView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import type { AppEnv } from '../env.ts';
import { resolveGrant } from './assignments.ts';
import { baseUrl, caller, listBody } from './common.ts';

/**
 * OS-INHERIT: grants on a domain or project that apply to every project below it (not to the target itself):
 * /v3/OS-INHERIT/{domains|projects}/{id}/{users|groups}/{id}/roles[/{role}]/inherited_to_projects.
 */
export function inheritRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();
  for (const [prefix, targetType] of [
    ['/domains/:target', 'domain'],
    ['/projects/:target', 'project'],
  ] as const) {
    for (const [seg, actor] of [
      ['users', 'user'],
      ['groups', 'group'],
    ] as const) {
      const base = `${prefix}/${seg}/:actor/roles`;
      app.get(`${base}/inherited_to_projects`, (c) => {
        const { target, actorId, domainId } = resolveGrant(core, c, targetType, actor);
        enforce(policy.domainReader(caller(c), domainId ?? ''), 'identity:list_grants');
        const url = baseUrl(c);
        const roles = deps.catalog
          .list('role_assignments')
          .filter(
            (a) =>
              a.inherited &&
              a.actor_type === actor &&
              a.actor_id === actorId &&
              a.target_type === target.type &&
              a.target_id === target.id,
          )
          .flatMap((a) => {
            const r = core.dir.role(a.role_id);
            return r ? [roleView(r, url)] : [];
          });
        return c.json(listBody(c, 'roles', roles));
      });
      const path = `${base}/:role/inherited_to_projects`;
      app.put(path, async (c) => {
        enforce(policy.admin(caller(c)), 'identity:create_grant');
        const { target, actorId } = resolveGrant(core, c, targetType, actor);
        await admin.grant(actor, actorId, target, admin.need('roles', c.req.param('role') ?? '').id, true);
        return c.body(null, 204);
      });
      app.get(path, (c) => {
        const { target, actorId, domainId } = resolveGrant(core, c, targetType, actor);
        enforce(policy.domainReader(caller(c), domainId ?? ''), 'identity:check_grant');
        const roleId = admin.need('roles', c.req.param('role') ?? '').id;
        if (!deps.catalog.get('role_assignments', assignmentId(actor, actorId, target, roleId, true))) {
          throw notFound('identity.assignment_not_found', `Could not find role assignment with role: ${roleId}.`);
        }
        return c.body(null, 204);
      });
      app.delete(path, async (c) => {
        enforce(policy.admin(caller(c)), 'identity:revoke_grant');
        const { target, actorId } = resolveGrant(core, c, targetType, actor);
        await admin.ungrant(actor, actorId, target, admin.need('roles', c.req.param('role') ?? '').id, true);
        return c.body(null, 204);
      });
    }
  }
  return app;
}
