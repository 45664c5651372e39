/** GET /v2/schemas/{image,images,member,members}. */
import { Hono } from 'hono';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../../image/schemas.ts';
import type { AppEnv } from '../env.ts';

/** Schema documents (authenticated, as in Glance). */
export function schemaRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/image', (c) => c.json(imageSchema()));
  app.get('/images', (c) => c.json(imagesSchema()));
  app.get('/member', (c) => c.json(memberSchema()));
  app.get('/members', (c) => c.json(membersSchema()));
  return app;
}
