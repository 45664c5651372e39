/** /v2/images/{id}/tags/{tag} and /v2/images/{id}/actions/{deactivate,reactivate}. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import type { ImageApiDeps } from './index.ts';

/** Tag and action routes (all 204). */
export function actionRoutes(d: ImageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { records } = d;

  app.put('/:id/tags/:tag', async (c) => {
    await records.addTag(c.var.auth, c.req.param('id'), c.req.param('tag'));
    return c.body(null, 204);
  });

  app.delete('/:id/tags/:tag', async (c) => {
    await records.removeTag(c.var.auth, c.req.param('id'), c.req.param('tag'));
    return c.body(null, 204);
  });

  app.post('/:id/actions/deactivate', async (c) => {
    await records.setActive(c.var.auth, c.req.param('id'), false);
    return c.body(null, 204);
  });

  app.post('/:id/actions/reactivate', async (c) => {
    await records.setActive(c.var.auth, c.req.param('id'), true);
    return c.body(null, 204);
  });

  return app;
}
