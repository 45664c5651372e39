/** The image service's HTTP face (Glance v2), mounted by the site at `/image`. */
import { Hono } from 'hono';
import type { ImageData } from '../../image/data.ts';
import type { ImageRecords } from '../../image/images.ts';
import type { ImageMembers } from '../../image/members.ts';
import type { SiteDeps } from '../../services.ts';
import type { AppEnv } from '../env.ts';
import { requireAuth, type TokenValidator } from '../middleware/auth.ts';
import { serviceTag } from '../middleware/service.ts';
import { actionRoutes } from './actions.ts';
import { fileRoutes } from './file.ts';
import { imageRoutes } from './images.ts';
import { memberRoutes } from './members.ts';
import { schemaRoutes } from './schemas.ts';
import { versionRoutes } from './versions.ts';

/** What the image routes need. */
export interface ImageApiDeps {
  deps: SiteDeps;
  tokens: TokenValidator;
  records: ImageRecords;
  data: ImageData;
  members: ImageMembers;
}

/** Builds the image sub-app: unauthenticated version documents, everything under /v2 behind a token. */
export function imageApi(d: ImageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('image'));
  app.route('/', versionRoutes(d.deps));
  const v2 = new Hono<AppEnv>();
  v2.use(requireAuth(d.tokens));
  v2.route('/schemas', schemaRoutes());
  v2.route('/images', imageRoutes(d));
  v2.route('/images', fileRoutes(d));
  v2.route('/images', memberRoutes(d));
  v2.route('/images', actionRoutes(d));
  v2.get('/info/import', (c) =>
    c.json({
      'import-methods': { description: 'Import methods available.', type: 'array', value: [] },
    }),
  );
  app.route('/v2', v2);
  return app;
}
