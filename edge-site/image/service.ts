/** The image module's face to compute: which image a caller may boot, and where an agent fetches its bytes. */

import type { SiteConfig } from '../../shared/config.ts';
import { badRequest } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { ImageService } from '../services.ts';
import { canSee } from './access.ts';

/** The API base URL clients and agents reach this site at. */
export function publicBase(config: SiteConfig): string {
  return (config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
}

/**
 * ImageService over the catalog. `getForBoot` throws `bad_request` (what Nova answers to a server create naming a
 * bad image): `image.not_found` for unknown or invisible ids, `image.not_bootable` for images that are not active.
 */
export function imageService(catalog: CatalogStore, config: SiteConfig): ImageService {
  return {
    getForBoot(auth, imageId) {
      const image = catalog.get('images', imageId);
      if (!image || !canSee(catalog, auth, image)) {
        throw badRequest('image.not_found', `Image ${imageId} could not be found.`);
      }
      if (image.status !== 'active') {
        throw badRequest('image.not_bootable', `Image ${imageId} is not active.`);
      }
      return image;
    },
    fileUrl(imageId) {
      return `${publicBase(config)}/image/v2/images/${imageId}/file`;
    },
  };
}
