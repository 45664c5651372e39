/** The image module (Glance v2): replicated metadata in the catalog, bytes in this site's file store. */
import { imageApi } from '../api/image/index.ts';
import type { IdentityService, ImageService, SiteDeps, SiteModule } from '../services.ts';
import { DEFAULT_MAX_IMAGE_BYTES } from './constants.ts';
import { imageData } from './data.ts';
import { imageRecords } from './images.ts';
import { imageMembers } from './members.ts';
import { imageFetcher } from './remote.ts';
import { imageService } from './service.ts';
import { createImageStore } from './store.ts';

/** Options of the image module. */
export interface ImageModuleOptions {
  identity: IdentityService;
  /** Largest accepted image in bytes (default 64 GiB). */
  maxImageBytes?: number;
  /** HTTP client used to fetch image bytes from peer sites (default: global fetch). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** Builds the image module. */
export async function createImage(deps: SiteDeps, options: ImageModuleOptions): Promise<SiteModule & ImageService> {
  const store = createImageStore(deps);
  const records = imageRecords(deps, store);
  const fetcher = imageFetcher(deps, store, options.fetch);
  const data = imageData(deps, store, options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES, fetcher);
  const members = imageMembers(deps);
  const service = imageService(deps.catalog, deps.config);
  const app = imageApi({ deps, tokens: options.identity.tokens, records, data, members });

  let unsubscribe: (() => void) | undefined;

  return {
    app,
    ...service,
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
    },
    async start() {
      // An image deleted at another site: drop this site's copy of its bytes (and any partial fetch).
      unsubscribe = deps.catalog.subscribe((change) => {
        if (change.collection !== 'images' || change.record !== undefined || change.origin !== 'remote') return;
        store
          .remove(change.id)
          .catch((err: unknown) => deps.log.warn({ image: change.id, err }, 'image bytes removal failed'));
      });
      // Uploads cut short by a crash: remove the partial file, put the image back to queued.
      for (const id of await store.recover()) {
        const image = deps.catalog.get('images', id);
        if (image?.status === 'saving') {
          await deps.catalog.put('images', { ...image, status: 'queued', size: null, updated_at: deps.clock.now() });
          deps.log.warn({ image: id }, 'interrupted image upload reset to queued');
        }
      }
    },
  };
}
