// PLACEHOLDER — replaced by the image module (Glance v2).
import { Hono } from 'hono';
import { notFound } from '../../shared/errors.ts';
import type { AppEnv } from '../api/env.ts';
import type { IdentityService, ImageService, SiteDeps, SiteModule } from '../services.ts';

/** Builds the image module. */
export async function createImage(
  deps: SiteDeps,
  _services: { identity: IdentityService },
): Promise<SiteModule & ImageService> {
  return {
    app: new Hono<AppEnv>(),
    getForBoot: (_auth, id) => {
      throw notFound('image.not_found', `Image ${id} could not be found.`);
    },
    fileUrl: (id) => `${deps.config.api.publicUrl ?? ''}/image/v2/images/${id}/file`,
  };
}
