/** The block storage service's HTTP face (Cinder v3), mounted by the site at `/volume`. */
import { Hono } from 'hono';
import type { VolumeContext } from '../../volume/context.ts';
import type { AppEnv } from '../env.ts';
import { requireAuth, type TokenValidator } from '../middleware/auth.ts';
import { serviceTag } from '../middleware/service.ts';
import { type VolumeActionHandler, volumeActionRoutes } from './actions.ts';
import { extensionRoutes, limitRoutes, quotaRoutes, typeRoutes, zoneRoutes } from './misc.ts';
import { snapshotRoutes } from './snapshots.ts';
import { versionRoutes, volumeMicroversion } from './versions.ts';
import { volumeRoutes } from './volumes.ts';

/** Builds the volume app: version documents without auth, `/v3/{project_id}/…` behind a token + microversions. */
export function volumeApi(
  ctx: VolumeContext,
  tokens: TokenValidator,
  extraActions: Record<string, VolumeActionHandler> = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(serviceTag('volume'));
  app.route('/', versionRoutes(ctx.deps));
  const v3 = new Hono<AppEnv>();
  v3.use(volumeMicroversion());
  const auth = requireAuth(tokens);
  const resources: Array<[string, Hono<AppEnv>]> = [
    ['volumes', volumeRoutes(ctx)],
    ['volumes', volumeActionRoutes(ctx, extraActions)],
    ['snapshots', snapshotRoutes(ctx)],
    ['types', typeRoutes()],
    ['os-availability-zone', zoneRoutes()],
    ['extensions', extensionRoutes()],
    ['os-quota-sets', quotaRoutes(ctx)],
    ['limits', limitRoutes(ctx)],
  ];
  // Auth per resource (not on all of /v3/*) so unknown routes are 404s rather than 401s.
  for (const [name] of resources) {
    v3.use(`/:project_id/${name}`, auth);
    v3.use(`/:project_id/${name}/*`, auth);
  }
  for (const [name, sub] of resources) v3.route(`/:project_id/${name}`, sub);
  app.route('/v3', v3);
  return app;
}
