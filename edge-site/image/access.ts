/**
 * Who may see and change an image: Glance's `is_image_visible` plus its default (new-defaults) policies.
 * Images a caller cannot see are 404 (never 403); visible images the caller may not change are 403.
 */
import { forbidden, notFound } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { Image, ImageMember } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { hasRole, isAdmin } from '../api/policy.ts';

/** Id of the member record of `projectId` on `imageId`. */
export function memberKey(imageId: string, projectId: string): string {
  return `${imageId}:${projectId}`;
}

/** The caller's membership on a shared image, if any. */
export function membershipOf(catalog: CatalogStore, auth: AuthContext, image: Image): ImageMember | undefined {
  const project = auth.project?.id;
  if (!project) return undefined;
  return catalog.get('image_members', memberKey(image.id, project));
}

/** Glance's `is_image_visible` (any member status counts, as for GET by id). */
export function canSee(catalog: CatalogStore, auth: AuthContext, image: Image): boolean {
  if (isAdmin(auth)) return true;
  if (image.owner === null) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  const project = auth.project?.id;
  if (!project) return false;
  if (project === image.owner) return true;
  return image.visibility === 'shared' && membershipOf(catalog, auth, image) !== undefined;
}

/** True when the caller may change the image (Glance `ADMIN_OR_PROJECT_MEMBER` on the owner). */
export function canModify(auth: AuthContext, image: Image): boolean {
  if (isAdmin(auth)) return true;
  return hasRole(auth, 'member') && auth.project !== undefined && auth.project.id === image.owner;
}

/** The image if the caller can see it; 404 otherwise (also for unknown ids). */
export function visibleImage(catalog: CatalogStore, auth: AuthContext, id: string): Image {
  const image = catalog.get('images', id);
  if (!image || !canSee(catalog, auth, image)) {
    throw notFound('image.not_found', `No image found with ID ${id}`);
  }
  return image;
}

/** The image if the caller can see and change it: 404 when invisible, 403 when visible but not theirs. */
export function modifiableImage(catalog: CatalogStore, auth: AuthContext, id: string, action: string): Image {
  const image = visibleImage(catalog, auth, id);
  if (!canModify(auth, image)) {
    throw forbidden('image.forbidden', `You are not authorized to ${action} image ${id}.`);
  }
  return image;
}
