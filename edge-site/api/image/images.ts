/** /v2/images and /v2/images/{id}: create, list, show, patch, delete. */
import { Hono } from 'hono';
import { visibleImage } from '../../image/access.ts';
import { listImages } from '../../image/list.ts';
import { parsePatch, patchDraft } from '../../image/patch.ts';
import { publicBase } from '../../image/service.ts';
import { imageView } from '../../image/view.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import type { ImageApiDeps } from './index.ts';

/** Image record routes. */
export function imageRoutes(d: ImageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { catalog } = d.deps;

  app.post('/', async (c) => {
    const image = await d.records.create(c.var.auth, await jsonBody(c));
    c.header('Location', `${publicBase(d.deps.config)}/image/v2/images/${image.id}`);
    return c.json(imageView(image), 201);
  });

  app.get('/', (c) => {
    const params = new URL(c.req.url).searchParams;
    const page = listImages(catalog, c.var.auth, params);
    const query = new URLSearchParams(params);
    query.delete('marker');
    const q = query.toString();
    const body: Record<string, unknown> = {
      images: page.images.map(imageView),
      first: q ? `/v2/images?${q}` : '/v2/images',
      schema: '/v2/schemas/images',
    };
    if (page.nextMarker) {
      query.set('marker', page.nextMarker);
      body.next = `/v2/images?${query.toString()}`;
    }
    return c.json(body);
  });

  app.get('/:id', (c) => c.json(imageView(visibleImage(catalog, c.var.auth, c.req.param('id')))));

  app.patch('/:id', async (c) => {
    const draft = patchDraft(c.req.header('content-type'));
    const changes = parsePatch(await jsonBody(c), draft);
    return c.json(imageView(await d.records.update(c.var.auth, c.req.param('id'), changes)));
  });

  app.delete('/:id', async (c) => {
    await d.records.remove(c.var.auth, c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
