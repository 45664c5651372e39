/** `/v2.0/{collection}/{id}/tags[/{tag}]` (standard-attr-tag). */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import { badAttribute, badRequestTyped } from '../../network/errors.ts';
import { addTag, checkTagExists, clearTags, listTags, removeTag, replaceTags } from '../../network/tags.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { writer } from './common.ts';

const body = z.object({ tags: z.array(z.string()) });

/** Tag routes for every taggable collection. */
export function tagRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const at = '/:collection/:id/tags';
  app.get(at, async (c) =>
    c.json({ tags: await listTags(ctx, c.get('auth'), c.req.param('collection'), c.req.param('id')) }),
  );
  app.put(at, async (c) => {
    const auth = writer(c);
    const parsed = body.safeParse(await jsonBody<unknown>(c));
    if (!parsed.success) throw badRequestTyped('HTTPBadRequest', "Invalid input for tags: a list of strings in 'tags'");
    const tags = await replaceTags(ctx, auth, c.req.param('collection'), c.req.param('id'), parsed.data.tags);
    return c.json({ tags });
  });
  app.delete(at, async (c) => {
    await clearTags(ctx, writer(c), c.req.param('collection'), c.req.param('id'));
    return c.body(null, 204);
  });
  app.get(`${at}/:tag`, async (c) => {
    await checkTagExists(ctx, c.get('auth'), c.req.param('collection'), c.req.param('id'), c.req.param('tag'));
    return c.body(null, 204);
  });
  app.put(`${at}/:tag`, async (c) => {
    const tag = c.req.param('tag');
    if (tag.length > 255) throw badAttribute('tag', `'${tag}' exceeds maximum length of 255`);
    await addTag(ctx, writer(c), c.req.param('collection'), c.req.param('id'), tag);
    return c.body(null, 201);
  });
  app.delete(`${at}/:tag`, async (c) => {
    await removeTag(ctx, writer(c), c.req.param('collection'), c.req.param('id'), c.req.param('tag'));
    return c.body(null, 204);
  });
  return app;
}
