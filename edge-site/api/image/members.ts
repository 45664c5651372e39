/** /v2/images/{id}/members[/{member}]: image sharing. */
import { Hono } from 'hono';
import { memberView } from '../../image/view.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import type { ImageApiDeps } from './index.ts';

/** Member routes. */
export function memberRoutes(d: ImageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { members } = d;

  app.get('/:id/members', (c) =>
    c.json({
      members: members.list(c.var.auth, c.req.param('id')).map(memberView),
      schema: '/v2/schemas/members',
    }),
  );

  app.post('/:id/members', async (c) =>
    c.json(memberView(await members.add(c.var.auth, c.req.param('id'), await jsonBody(c)))),
  );

  app.get('/:id/members/:member', (c) =>
    c.json(memberView(members.show(c.var.auth, c.req.param('id'), c.req.param('member')))),
  );

  app.put('/:id/members/:member', async (c) =>
    c.json(
      memberView(await members.setStatus(c.var.auth, c.req.param('id'), c.req.param('member'), await jsonBody(c))),
    ),
  );

  app.delete('/:id/members/:member', async (c) => {
    await members.remove(c.var.auth, c.req.param('id'), c.req.param('member'));
    return c.body(null, 204);
  });

  return app;
}
