/** Image records: create, patch, delete, tags, (de)activation. Metadata lives in the replicated catalog. */
import { BrumeError, badRequest, conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin, projectOf, requireRole } from '../api/policy.ts';
import type { SiteDeps } from '../services.ts';
import { modifiableImage } from './access.ts';
import { MAX_PROPERTIES, MAX_TAGS } from './constants.ts';
import { applyPatch, type Change } from './patch.ts';
import type { ImageStore } from './store.ts';
import { parseCreate } from './validate.ts';

function tooLarge(code: string, message: string): BrumeError {
  return new BrumeError('too_large', code, message);
}

/** Image record operations. */
export interface ImageRecords {
  create(auth: AuthContext, body: unknown): Promise<Image>;
  update(auth: AuthContext, id: string, changes: Change[]): Promise<Image>;
  remove(auth: AuthContext, id: string): Promise<void>;
  addTag(auth: AuthContext, id: string, tag: string): Promise<void>;
  removeTag(auth: AuthContext, id: string, tag: string): Promise<void>;
  setActive(auth: AuthContext, id: string, active: boolean): Promise<void>;
}

/** Builds the record operations over the catalog and the site's file store. */
export function imageRecords(deps: SiteDeps, store: ImageStore): ImageRecords {
  const { catalog, clock } = deps;

  return {
    async create(auth, body) {
      const project = projectOf(auth);
      requireRole(auth, 'member', 'add_image');
      const { core, extra } = parseCreate(body);
      const owner = core.owner === undefined ? project : core.owner;
      if (!isAdmin(auth) && owner !== project) {
        throw forbidden('image.owner', 'You are not permitted to create images owned by another project.');
      }
      const visibility = core.visibility ?? 'shared';
      if (visibility === 'public' && !isAdmin(auth)) {
        throw forbidden('image.publicize', 'You are not authorized to complete publicize_image action.');
      }
      const id = core.id?.toLowerCase() ?? deps.ids.uuid();
      if (catalog.get('images', id)) throw conflict('image.duplicate', `Image with identifier ${id} already exists!`);
      const tags = [...new Set(core.tags ?? [])];
      if (tags.length > MAX_TAGS) throw tooLarge('image.tag_limit', `Maximum ${MAX_TAGS} tags.`);
      if (Object.keys(extra).length > MAX_PROPERTIES) {
        throw tooLarge('image.property_limit', `Maximum ${MAX_PROPERTIES} image properties.`);
      }
      const now = clock.now();
      const image: Image = {
        id,
        name: core.name ?? null,
        status: 'queued',
        visibility,
        owner,
        protected: core.protected ?? false,
        disk_format: core.disk_format ?? null,
        container_format: core.container_format ?? null,
        min_disk: core.min_disk ?? 0,
        min_ram: core.min_ram ?? 0,
        size: null,
        virtual_size: null,
        checksum: null,
        os_hash_algo: null,
        os_hash_value: null,
        os_hidden: core.os_hidden ?? false,
        tags,
        properties: extra,
        locations: [],
        created_at: now,
        updated_at: now,
      };
      await catalog.put('images', image);
      deps.log.info({ image: id, owner }, 'image created');
      return image;
    },

    async update(auth, id, changes) {
      const image = modifiableImage(catalog, auth, id, 'modify');
      if (changes.length === 0) return image;
      const next = applyPatch(image, changes, { admin: isAdmin(auth) });
      next.updated_at = clock.now();
      await catalog.put('images', next);
      return next;
    },

    async remove(auth, id) {
      const image = modifiableImage(catalog, auth, id, 'delete');
      if (image.protected) throw forbidden('image.protected', `Image ${id} is protected and cannot be deleted.`);
      const writes: CatalogWrite[] = [{ op: 'delete', collection: 'images', id }];
      for (const m of catalog.list('image_members')) {
        if (m.image_id === id) writes.push({ op: 'delete', collection: 'image_members', id: m.id });
      }
      await catalog.apply(writes);
      await store.remove(id);
      deps.log.info({ image: id }, 'image deleted');
    },

    async addTag(auth, id, tag) {
      const image = modifiableImage(catalog, auth, id, 'update tags for');
      if (tag.length > 255)
        throw badRequest('image.bad_tag', 'Could not update image: tag is longer than 255 characters.');
      if (image.tags.includes(tag)) return;
      if (image.tags.length >= MAX_TAGS) throw tooLarge('image.tag_limit', `Image tag limit exceeded for image ${id}.`);
      await catalog.put('images', { ...image, tags: [...image.tags, tag], updated_at: clock.now() });
    },

    async removeTag(auth, id, tag) {
      const image = modifiableImage(catalog, auth, id, 'delete tags for');
      if (!image.tags.includes(tag)) throw notFound('image.tag_not_found', `Tag ${tag} not found on image ${id}.`);
      await catalog.put('images', { ...image, tags: image.tags.filter((t) => t !== tag), updated_at: clock.now() });
    },

    async setActive(auth, id, active) {
      const image = modifiableImage(catalog, auth, id, active ? 'reactivate' : 'deactivate');
      const target = active ? 'active' : 'deactivated';
      if (image.status === target) return;
      const from = active ? 'deactivated' : 'active';
      if (image.status !== from) {
        throw forbidden(
          'image.bad_status',
          `Not allowed to ${active ? 'reactivate' : 'deactivate'} image in status '${image.status}'`,
        );
      }
      await catalog.put('images', { ...image, status: target, updated_at: clock.now() });
    },
  };
}
