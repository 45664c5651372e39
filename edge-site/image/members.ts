/**
 * Image members (sharing): the owner adds projects to a `shared` image; each member project accepts or rejects.
 * Glance's new-default policies: add/delete by the owner (or admin), status changes by the member (or admin),
 * reads by the owner or the member itself.
 */
import { BrumeError, badRequest, conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { Image, ImageMember } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { hasRole, isAdmin } from '../api/policy.ts';
import type { SiteDeps } from '../services.ts';
import { canModify, memberKey, visibleImage } from './access.ts';
import { MAX_MEMBERS, MEMBER_STATUSES } from './constants.ts';

/** Member operations. */
export interface ImageMembers {
  add(auth: AuthContext, imageId: string, body: unknown): Promise<ImageMember>;
  list(auth: AuthContext, imageId: string): ImageMember[];
  show(auth: AuthContext, imageId: string, memberId: string): ImageMember;
  setStatus(auth: AuthContext, imageId: string, memberId: string, body: unknown): Promise<ImageMember>;
  remove(auth: AuthContext, imageId: string, memberId: string): Promise<void>;
}

function sharedOnly(image: Image): void {
  if (image.visibility !== 'shared') throw forbidden('image.not_shared', 'Only shared images have members.');
}

function fieldOf(body: unknown, field: string, missing: string): unknown {
  if (body === undefined) throw badRequest('image.body_required', 'Body expected in request.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('image.invalid_body', `Expected a ${field} in the form: {"${field}": "…"}`);
  }
  const record = body as Record<string, unknown>;
  if (!(field in record)) throw badRequest('image.invalid_body', missing);
  return record[field];
}

/** Builds the member operations. */
export function imageMembers(deps: SiteDeps): ImageMembers {
  const { catalog, clock } = deps;
  const ownerOrAdmin = (auth: AuthContext, image: Image) =>
    isAdmin(auth) || (auth.project !== undefined && auth.project.id === image.owner);

  function lookup(image: Image, memberId: string): ImageMember {
    const m = catalog.get('image_members', memberKey(image.id, memberId));
    if (!m)
      throw notFound('image.member_not_found', `${memberId} not found in the member list of the image ${image.id}.`);
    return m;
  }

  return {
    async add(auth, imageId, body) {
      const image = visibleImage(catalog, auth, imageId);
      sharedOnly(image);
      if (!canModify(auth, image)) {
        throw forbidden('image.forbidden', `Not allowed to create members for image ${imageId}.`);
      }
      const memberId = fieldOf(body, 'member', 'Member to be added not specified');
      if (typeof memberId !== 'string' || memberId === '') {
        throw badRequest('image.invalid_member', "Member can't be empty");
      }
      if (memberId.length > 255) throw badRequest('image.invalid_member', 'Member id is too long.');
      if (catalog.get('image_members', memberKey(imageId, memberId))) {
        throw conflict('image.member_exists', `Member ${memberId} is duplicated for image ${imageId}`);
      }
      const count = catalog.list('image_members').filter((m) => m.image_id === imageId).length;
      if (count >= MAX_MEMBERS) {
        throw new BrumeError('too_large', 'image.member_limit', `Image member limit exceeded for image ${imageId}.`);
      }
      const now = clock.now();
      const member: ImageMember = {
        id: memberKey(imageId, memberId),
        image_id: imageId,
        member_id: memberId,
        status: 'pending',
        created_at: now,
        updated_at: now,
      };
      await catalog.put('image_members', member);
      return member;
    },

    list(auth, imageId) {
      const image = visibleImage(catalog, auth, imageId);
      sharedOnly(image);
      const all = catalog.list('image_members').filter((m) => m.image_id === imageId);
      if (ownerOrAdmin(auth, image)) return [...all];
      return all.filter((m) => m.member_id === auth.project?.id);
    },

    show(auth, imageId, memberId) {
      const image = visibleImage(catalog, auth, imageId);
      if (image.visibility !== 'shared') throw notFound('image.not_shared', 'Only shared images have members.');
      if (!ownerOrAdmin(auth, image) && auth.project?.id !== memberId) {
        throw notFound('image.member_not_found', `${memberId} not found in the member list of the image ${imageId}.`);
      }
      return lookup(image, memberId);
    },

    async setStatus(auth, imageId, memberId, body) {
      const image = visibleImage(catalog, auth, imageId);
      sharedOnly(image);
      const member = lookup(image, memberId);
      const isMember = hasRole(auth, 'member') && auth.project?.id === memberId;
      if (!isAdmin(auth) && !isMember) {
        throw forbidden('image.forbidden', `Not allowed to update members for image ${imageId}.`);
      }
      const status = fieldOf(body, 'status', 'Status not specified');
      if (typeof status !== 'string' || !(MEMBER_STATUSES as readonly string[]).includes(status)) {
        throw badRequest('image.invalid_status', `Incorrect request: Invalid status: ${String(status)}`);
      }
      const next: ImageMember = { ...member, status: status as ImageMember['status'], updated_at: clock.now() };
      await catalog.put('image_members', next);
      return next;
    },

    async remove(auth, imageId, memberId) {
      const image = visibleImage(catalog, auth, imageId);
      sharedOnly(image);
      if (!canModify(auth, image)) {
        throw forbidden('image.forbidden', `Not allowed to delete members for image ${imageId}.`);
      }
      const member = lookup(image, memberId);
      await catalog.delete('image_members', member.id);
    },
  };
}
