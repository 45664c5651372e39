import type { Context } from 'hono';
import { Hono } from 'hono';
import { notFound } from '../../../shared/errors.ts';
import type { RoleAssignment } from '../../../shared/schemas/catalog/index.ts';
import { assignmentId } from '../../identity/admin.ts';
import type { Target } from '../../identity/directory.ts';
import { roleView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, listBody, queryBool } from './common.ts';

/** Who holds a grant. */
export type Actor = 'user' | 'group';

/** Checks the target and actor of a grant route exist (404 otherwise) and names them. */
export function resolveGrant(
  core: IdentityCore,
  c: Context<AppEnv>,
  targetType: 'project' | 'domain' | 'system',
  actor: Actor,
): { target: Target; actorId: string; domainId: string | undefined } {
  const { admin } = core;
  const targetId = targetType === 'system' ? 'all' : (c.req.param('target') ?? '');
  const target: Target = { type: targetType, id: targetId };
  let domainId: string | undefined;
  if (targetType === 'project') domainId = admin.need('projects', targetId).domain_id;
  if (targetType === 'domain') domainId = admin.need('domains', targetId).id;
  const actorId = c.req.param('actor') ?? '';
  admin.need(actor === 'user' ? 'users' : 'groups', actorId);
  return { target, actorId, domainId };
}

/**
 * Grants: /v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}], /v3/system/{users|groups}/{id}/roles[/{role}]
 * (PUT, HEAD/GET check, DELETE: all 204; GET of the list: the directly granted roles).
 */
export function grantRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const app = new Hono<AppEnv>();

  const resolve = (c: Context<AppEnv>, targetType: 'project' | 'domain' | 'system', actor: Actor) =>
    resolveGrant(core, c, targetType, actor);

  for (const [prefix, targetType] of [
    ['/projects/:target', 'project'],
    ['/domains/:target', 'domain'],
    ['/system', 'system'],
  ] as const) {
    for (const [seg, actor] of [
      ['users', 'user'],
      ['groups', 'group'],
    ] as const) {
      const path = `${prefix}/${seg}/:actor/roles`;
      app.get(path, (c) => {
        const { target, actorId, domainId } = resolve(c, targetType, actor);
        enforce(
          domainId ? policy.domainReader(caller(c), domainId) : policy.systemReader(caller(c)),
          'identity:list_grants',
        );
        const base = baseUrl(c);
        const roles = deps.catalog
          .list('role_assignments')
          .filter(
            (a) =>
              a.actor_type === actor &&
              a.actor_id === actorId &&
              a.target_type === target.type &&
              a.target_id === target.id &&
              !a.inherited,
          )
          .flatMap((a) => {
            const r = core.dir.role(a.role_id);
            return r ? [roleView(r, base)] : [];
          });
        return c.json(listBody(c, 'roles', roles));
      });
      app.put(`${path}/:role`, async (c) => {
        enforce(policy.admin(caller(c)), 'identity:create_grant');
        const { target, actorId } = resolve(c, targetType, actor);
        const roleId = admin.need('roles', c.req.param('role')).id;
        await admin.grant(actor, actorId, target, roleId);
        return c.body(null, 204);
      });
      app.get(`${path}/:role`, (c) => {
        const { target, actorId, domainId } = resolve(c, targetType, actor);
        enforce(
          domainId ? policy.domainReader(caller(c), domainId) : policy.systemReader(caller(c)),
          'identity:check_grant',
        );
        const roleId = admin.need('roles', c.req.param('role')).id;
        if (!deps.catalog.get('role_assignments', assignmentId(actor, actorId, target, roleId))) {
          throw notFound('identity.assignment_not_found', `Could not find role assignment with role: ${roleId}.`);
        }
        return c.body(null, 204);
      });
      app.delete(`${path}/:role`, async (c) => {
        enforce(policy.admin(caller(c)), 'identity:revoke_grant');
        const { target, actorId } = resolve(c, targetType, actor);
        const roleId = admin.need('roles', c.req.param('role')).id;
        await admin.ungrant(actor, actorId, target, roleId);
        return c.body(null, 204);
      });
    }
  }
  return app;
}

/** GET /v3/role_assignments with Keystone's filters, `effective` and `include_names`. */
export function roleAssignmentsRoute(core: IdentityCore): Hono<AppEnv> {
  const { deps, dir } = core;
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    const a = caller(c);
    const q = c.req.query();
    const scopeDomain = q['scope.domain.id'];
    enforce(
      policy.systemReader(a) || (scopeDomain !== undefined && policy.domainReader(a, scopeDomain)),
      'identity:list_role_assignments',
    );
    const effective = queryBool(q.effective, 'effective') ?? false;
    const names = queryBool(q.include_names, 'include_names') ?? false;
    type Row = RoleAssignment & { viaGroup?: string };
    let rows: Row[] = [...deps.catalog.list('role_assignments')];
    if (effective) {
      const expanded: Row[] = [];
      for (const r of rows) {
        if (r.actor_type === 'group') {
          for (const m of deps.catalog.list('group_memberships')) {
            if (m.group_id === r.actor_id)
              expanded.push({ ...r, actor_type: 'user', actor_id: m.user_id, viaGroup: r.actor_id });
          }
        } else expanded.push(r);
      }
      const direct: Row[] = [];
      const projects = deps.catalog.list('projects');
      for (const r of expanded) {
        if (!r.inherited) direct.push(r);
        else if (r.target_type === 'domain') {
          for (const p of projects) {
            if (p.domain_id === r.target_id && !p.is_domain) {
              direct.push({ ...r, target_type: 'project', target_id: p.id, inherited: false });
            }
          }
        } else if (r.target_type === 'project') {
          for (const p of projects) {
            if (dir.ancestors(p.id).includes(r.target_id)) {
              direct.push({ ...r, target_type: 'project', target_id: p.id, inherited: false });
            }
          }
        }
      }
      // Domain-specific roles only confer what they imply.
      rows = direct.flatMap((r) =>
        [...dir.expand([r.role_id])]
          .filter((id) => dir.role(id)?.domain_id === null)
          .map((role_id) => ({ ...r, role_id })),
      );
    }
    const match = (value: string | undefined, actual: string) => value === undefined || value === actual;
    rows = rows.filter(
      (r) =>
        match(q['user.id'], r.actor_type === 'user' ? r.actor_id : '\u0000') &&
        match(q['group.id'], r.actor_type === 'group' ? r.actor_id : '\u0000') &&
        match(q['role.id'], r.role_id) &&
        match(q['scope.project.id'], r.target_type === 'project' ? r.target_id : '\u0000') &&
        match(scopeDomain, r.target_type === 'domain' ? r.target_id : '\u0000') &&
        (q['scope.system'] === undefined || r.target_type === 'system') &&
        (q['scope.OS-INHERIT:inherited_to'] === undefined || r.inherited),
    );
    const base = baseUrl(c);
    const seen = new Set<string>();
    const out = [];
    for (const r of rows) {
      const key = `${r.actor_type}:${r.actor_id}:${r.target_type}:${r.target_id}:${r.role_id}:${r.viaGroup ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(view(core, r, names, base));
    }
    return c.json(listBody(c, 'role_assignments', out));
  });
  return app;
}

function view(core: IdentityCore, r: RoleAssignment & { viaGroup?: string }, names: boolean, base: string) {
  const { dir, deps } = core;
  const domainRef = (id: string) => (names ? { id, name: dir.domain(id)?.name ?? '' } : { id });
  const role = dir.role(r.role_id);
  const roleOut: Record<string, unknown> = { id: r.role_id };
  if (names && role) {
    roleOut.name = role.name;
    if (role.domain_id) roleOut.domain = domainRef(role.domain_id);
  }
  const actorOut: Record<string, unknown> = { id: r.actor_id };
  if (names) {
    const actor = r.actor_type === 'user' ? dir.user(r.actor_id) : deps.catalog.get('groups', r.actor_id);
    if (actor) {
      actorOut.name = actor.name;
      actorOut.domain = domainRef(actor.domain_id);
    }
  }
  let scope: Record<string, unknown>;
  let targetPath: string;
  if (r.target_type === 'system') {
    scope = { system: { all: true } };
    targetPath = 'system';
  } else if (r.target_type === 'project') {
    const p = dir.project(r.target_id);
    scope = { project: names && p ? { id: p.id, name: p.name, domain: domainRef(p.domain_id) } : { id: r.target_id } };
    targetPath = `projects/${r.target_id}`;
  } else {
    const d = dir.domain(r.target_id);
    scope = { domain: names && d ? { id: d.id, name: d.name } : { id: r.target_id } };
    targetPath = `domains/${r.target_id}`;
  }
  if (r.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
  const actorPath = r.viaGroup ? `groups/${r.viaGroup}` : `${r.actor_type}s/${r.actor_id}`;
  const assignment = r.inherited
    ? `${base}/v3/OS-INHERIT/${targetPath}/${actorPath}/roles/${r.role_id}/inherited_to_projects`
    : `${base}/v3/${targetPath}/${actorPath}/roles/${r.role_id}`;
  const links: Record<string, string> = { assignment };
  if (r.viaGroup) links.membership = `${base}/v3/groups/${r.viaGroup}/users/${r.actor_id}`;
  return { role: roleOut, [r.actor_type]: actorOut, scope, links };
}
