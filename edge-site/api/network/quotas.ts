/** `/v2.0/quotas` (quotas + quota_details extensions). */
import { Hono } from 'hono';
import type { NetCtx } from '../../network/context.ts';
import { badRequestTyped } from '../../network/errors.ts';
import { defaultQuota, listQuotas, quotaDetails, resetQuota, showQuota, updateQuota } from '../../network/quotas.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { writer } from './common.ts';

/** Quota routes; `.json` suffixes (old clients) are accepted everywhere. */
export function quotaRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const project = (raw: string) => raw.replace(/\.json$/, '');
  app.get('/', async (c) => c.json({ quotas: await listQuotas(ctx, c.get('auth')) }));
  app.get('/:project/default', (c) => c.json({ quota: defaultQuota(c.get('auth'), c.req.param('project')) }));
  app.get('/:project/default.json', (c) => c.json({ quota: defaultQuota(c.get('auth'), c.req.param('project')) }));
  app.get('/:project/details.json', async (c) =>
    c.json({ quota: await quotaDetails(ctx, c.get('auth'), c.req.param('project')) }),
  );
  app.get('/:project/details', async (c) =>
    c.json({ quota: await quotaDetails(ctx, c.get('auth'), c.req.param('project')) }),
  );
  app.get('/:project', async (c) =>
    c.json({ quota: await showQuota(ctx, c.get('auth'), project(c.req.param('project'))) }),
  );
  app.put('/:project', async (c) => {
    const auth = writer(c);
    const body = await jsonBody<unknown>(c);
    const quota = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).quota : undefined;
    if (typeof quota !== 'object' || quota === null || Array.isArray(quota)) {
      throw badRequestTyped('HTTPBadRequest', "Unable to find 'quota' in request body");
    }
    const out = await updateQuota(ctx, auth, project(c.req.param('project')), quota as Record<string, unknown>);
    return c.json({ quota: out });
  });
  app.delete('/:project', async (c) => {
    await resetQuota(ctx, writer(c), project(c.req.param('project')));
    return c.body(null, 204);
  });
  return app;
}
