import { Hono } from 'hono';
import { isBrumeError, notFound } from '../../../shared/errors.ts';
import { authenticate, authRequestSchema } from '../../identity/authenticate.ts';
import { domainView, projectView, serviceCatalog, tokenView } from '../../identity/format.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import { requireAuth } from '../middleware/auth.ts';
import { baseUrl, caller, listBody } from './common.ts';

/** /v3/auth/*: token issue, validation, revocation, and what a token may be scoped to. */
export function authRoutes(core: IdentityCore): Hono<AppEnv> {
  const { dir, tokens, admin } = core;
  const app = new Hono<AppEnv>();
  const wantsCatalog = (q: string | undefined) => q === undefined;

  app.post('/tokens', async (c) => {
    const req = await jsonBody(c, authRequestSchema);
    const { token, auth } = await authenticate(core.deps, dir, tokens, req);
    c.header('X-Subject-Token', token);
    return c.json({ token: tokenView(auth, dir, wantsCatalog(c.req.query('nocatalog'))) }, 201);
  });

  app.use(requireAuth(tokens));

  /** The subject token, checked like any token; 404 when invalid (Keystone's TokenNotFound). */
  const subject = async (auth: AuthContext, header: string | undefined): Promise<AuthContext> => {
    if (!header) throw notFound('identity.token_not_found', 'Could not find token.');
    let s: AuthContext;
    try {
      s = await tokens.validate(header);
    } catch (err) {
      if (isBrumeError(err) && err.kind === 'unauthorized') {
        throw notFound('identity.token_not_found', `Could not find token: ${header.slice(0, 16)}….`);
      }
      throw err;
    }
    enforce(policy.systemReader(auth) || s.userId === auth.userId, 'identity:validate_token');
    return s;
  };

  // Also serves HEAD (Hono routes HEAD through GET): 200, no body.
  app.get('/tokens', async (c) => {
    const s = await subject(caller(c), c.req.header('x-subject-token'));
    c.header('X-Subject-Token', s.token);
    return c.json({ token: tokenView(s, dir, wantsCatalog(c.req.query('nocatalog'))) });
  });
  app.delete('/tokens', async (c) => {
    const s = await subject(caller(c), c.req.header('x-subject-token'));
    await admin.revoke({ audit_id: s.auditIds[0] });
    return c.body(null, 204);
  });

  app.get('/catalog', (c) => {
    return c.json({
      catalog: serviceCatalog(dir, c.var.auth.project?.id),
      links: { self: c.req.url, next: null, previous: null },
    });
  });
  app.get('/projects', (c) => {
    const base = baseUrl(c);
    const items = dir.projectsOf(caller(c).userId).filter((p) => p.enabled);
    return c.json(
      listBody(
        c,
        'projects',
        items.map((p) => projectView(p, base)),
      ),
    );
  });
  app.get('/domains', (c) => {
    const base = baseUrl(c);
    const items = dir.domainsOf(caller(c).userId).filter((d) => d.enabled);
    return c.json(
      listBody(
        c,
        'domains',
        items.map((d) => domainView(d, base)),
      ),
    );
  });
  app.get('/system', (c) => {
    const has = dir.rolesOn(caller(c).userId, { type: 'system', id: 'all' }).length > 0;
    return c.json(listBody(c, 'system', has ? [{ all: true }] : []));
  });
  return app;
}
