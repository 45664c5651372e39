/** Wire views of images and members, as Glance v2 serializes them. */
import type { Image, ImageMember } from '../../shared/schemas/catalog/index.ts';

/** Glance's `timeutils.isotime`: `2026-01-01T00:00:00Z` (seconds, UTC, no fraction). */
export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The image document: extra properties at top level, core fields, links. */
export function imageView(image: Image): Record<string, unknown> {
  const view: Record<string, unknown> = { ...image.properties };
  Object.assign(view, {
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    size: image.size,
    virtual_size: image.virtual_size,
    checksum: image.checksum,
    protected: image.protected,
    min_ram: image.min_ram,
    min_disk: image.min_disk,
    owner: image.owner,
    os_hidden: image.os_hidden,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    container_format: image.container_format,
    disk_format: image.disk_format,
    created_at: isoTime(image.created_at),
    updated_at: isoTime(image.updated_at),
    tags: [...image.tags],
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  });
  // Glance's multi-store field, here: the sites that hold the bytes (Brume's replicated `locations`).
  if (image.locations.length > 0) view.stores = image.locations.join(',');
  return view;
}

/** The member document. */
export function memberView(member: ImageMember): Record<string, unknown> {
  return {
    member_id: member.member_id,
    image_id: member.image_id,
    status: member.status,
    created_at: isoTime(member.created_at),
    updated_at: isoTime(member.updated_at),
    schema: '/v2/schemas/member',
  };
}
