import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, forbidden, notFound } from '../../../shared/errors.ts';
import type { Role } from '../../../shared/schemas/catalog/index.ts';
import { roleView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseUrl, caller, filterList, listBody, zDescription, zName } from './common.ts';

const createSchema = z.object({
  role: z.object({ name: zName, domain_id: z.string().min(1).nullish(), description: zDescription }),
});
const updateSchema = z.object({ role: z.object({ name: zName.optional(), description: zDescription }) });

/** /v3/roles, implied roles (/v3/roles/{prior}/implies/{implied}) and /v3/role_inferences. */
export function roleRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps, dir } = core;
  const app = new Hono<AppEnv>();
  const brief = (r: Role, base: string) => ({ id: r.id, name: r.name, links: roleView(r, base).links });

  app.get('/', (c) => {
    const a = caller(c);
    const domainId = c.req.query('domain_id');
    // Keystone: system readers, and readers of a domain (to pick roles to grant there).
    enforce(policy.systemReader(a) || policy.domainReader(a, a.domain?.id ?? ''), 'identity:list_roles');
    let items = filterList(c, deps.catalog.list('roles'), ['name', 'domain_id']);
    if (domainId === undefined) items = items.filter((r) => r.domain_id === null);
    const base = baseUrl(c);
    return c.json(
      listBody(
        c,
        'roles',
        items.map((r) => roleView(r, base)),
      ),
    );
  });
  app.post('/', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_role');
    const { role: b } = await jsonBody(c, createSchema);
    const r: Role = {
      id: admin.newId(),
      name: b.name,
      domain_id: b.domain_id ?? null,
      description: b.description ?? '',
    };
    await admin.saveRole(r, true);
    return c.json({ role: roleView(r, baseUrl(c)) }, 201);
  });
  app.get('/:id', (c) => {
    enforce(policy.domainReader(caller(c), caller(c).domain?.id ?? ''), 'identity:get_role');
    return c.json({ role: roleView(admin.need('roles', c.req.param('id')), baseUrl(c)) });
  });
  app.patch('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:update_role');
    const prev = admin.need('roles', c.req.param('id'));
    const { role: b } = await jsonBody(c, updateSchema);
    const r: Role = {
      ...prev,
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.description !== undefined ? { description: b.description ?? '' } : {}),
    };
    await admin.saveRole(r, false);
    return c.json({ role: roleView(r, baseUrl(c)) });
  });
  app.delete('/:id', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_role');
    await admin.deleteRole(c.req.param('id'));
    return c.body(null, 204);
  });

  // Implied roles.
  const inference = (priorId: string, impliedIds: readonly string[], base: string) => {
    const prior = admin.need('roles', priorId);
    return {
      prior_role: brief(prior, base),
      implies: impliedIds.flatMap((id) => {
        const r = dir.role(id);
        return r ? [brief(r, base)] : [];
      }),
    };
  };
  app.get('/:prior/implies', (c) => {
    enforce(policy.systemReader(caller(c)), 'identity:list_implied_roles');
    const prior = c.req.param('prior');
    return c.json({ role_inference: inference(prior, dir.impliedBy(prior), baseUrl(c)), links: { self: c.req.url } });
  });
  const pair = (prior: string, implied: string) => {
    admin.need('roles', prior);
    admin.need('roles', implied);
    return `${prior}:${implied}`;
  };
  const one = (prior: string, implied: string, base: string) => {
    const i = inference(prior, [implied], base);
    return { role_inference: { prior_role: i.prior_role, implies: i.implies[0] } };
  };
  app.put('/:prior/implies/:implied', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:create_implied_role');
    const { prior, implied } = c.req.param();
    const id = pair(prior, implied);
    if (dir.role(prior)?.domain_id === null && dir.role(implied)?.domain_id !== null) {
      throw forbidden('identity.implied_domain_role', 'A global role cannot imply a domain-specific role.');
    }
    if (prior === implied || dir.expand([implied]).has(prior)) {
      throw badRequest('identity.implied_role_cycle', 'Invalid input: the implied role would create a cycle.');
    }
    await admin.put('implied_roles', { id, prior_role_id: prior, implied_role_id: implied });
    return c.json(one(prior, implied, baseUrl(c)), 201);
  });
  const existing = (prior: string, implied: string) => {
    const id = pair(prior, implied);
    if (!deps.catalog.get('implied_roles', id)) {
      throw notFound('identity.implied_role_not_found', `${prior} does not imply ${implied}.`);
    }
    return id;
  };
  app.get('/:prior/implies/:implied', (c) => {
    enforce(policy.systemReader(caller(c)), 'identity:get_implied_role');
    const { prior, implied } = c.req.param();
    existing(prior, implied);
    // Hono serves HEAD through the GET route; Keystone's check (HEAD) answers 204.
    if (c.req.method === 'HEAD') return c.body(null, 204);
    return c.json(one(prior, implied, baseUrl(c)));
  });
  app.delete('/:prior/implies/:implied', async (c) => {
    enforce(policy.admin(caller(c)), 'identity:delete_implied_role');
    const id = existing(c.req.param('prior'), c.req.param('implied'));
    await admin.write([{ op: 'delete', collection: 'implied_roles', id }]);
    return c.body(null, 204);
  });
  return app;
}

/** GET /v3/role_inferences: every prior role with what it implies. */
export function roleInferencesRoute(core: IdentityCore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    enforce(policy.systemReader(caller(c)), 'identity:list_role_inference_rules');
    const base = baseUrl(c);
    const byPrior = new Map<string, string[]>();
    for (const i of core.deps.catalog.list('implied_roles')) {
      byPrior.set(i.prior_role_id, [...(byPrior.get(i.prior_role_id) ?? []), i.implied_role_id]);
    }
    const view = (id: string) => {
      const r = core.dir.role(id);
      return r ? { id: r.id, name: r.name, links: roleView(r, base).links } : undefined;
    };
    const out = [...byPrior].flatMap(([prior, implied]) => {
      const p = view(prior);
      return p ? [{ prior_role: p, implies: implied.flatMap((i) => view(i) ?? []) }] : [];
    });
    return c.json({ role_inferences: out, links: { self: c.req.url } });
  });
  return app;
}
