/** Glance v2 constants: formats, limits and the property classes Glance treats specially. */

/** Glance's default `container_formats`. */
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;

/** Glance's default `disk_formats`. */
export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const;

export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;

/** Largest image accepted by an upload (no config knob: the site's disk is the real limit). */
export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 ** 3;

/** Glance's `image_tag_quota`, `image_property_quota`, `image_member_quota`. */
export const MAX_TAGS = 128;
export const MAX_PROPERTIES = 128;
export const MAX_MEMBERS = 128;

/** Glance's `limit_param_default` and `api_limit_max`. */
export const DEFAULT_PAGE = 25;
export const MAX_PAGE = 1000;

/** Rejected on create with 403 "read-only" before anything else (Glance's `_disallowed_properties`). */
export const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'] as const;

/** Never settable by a client (Glance's `_readonly_properties`). */
export const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
  'stores',
] as const;

/** Reserved names (403) and the reserved namespace prefix. */
export const RESERVED = ['location', 'deleted', 'deleted_at', 'locations'] as const;
export const RESERVED_PREFIX = 'os_glance';

/** Core (non-extra) writable attributes; `remove` on these is a 403. */
export const CORE_WRITABLE = [
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'owner',
  'tags',
] as const;

/** Sort keys Glance accepts. */
export const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
] as const;

/** The hash Brume computes for `os_hash_value`. */
export const HASH_ALGO = 'sha512';
