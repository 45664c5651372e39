/**
 * The JSON-schema documents Glance serves under /v2/schemas (glanceclient validates requests against them and
 * the CLI reads them). Same shapes as Glance's `raw()`/`minimal()` output with its bundled schema-image.json.
 */
import { CONTAINER_FORMATS, DISK_FORMATS, MEMBER_STATUSES, VISIBILITIES } from './constants.ts';

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });
const ro = (type: unknown, description: string, extra: Record<string, unknown> = {}) => ({
  type,
  readOnly: true,
  description,
  ...extra,
});

const baseProperties = {
  id: str('An identifier for the image', { pattern: UUID_PATTERN }),
  name: { type: ['null', 'string'], description: 'Descriptive name for the image', maxLength: 255 },
  status: ro('string', 'Status of the image', {
    enum: [
      'queued',
      'saving',
      'active',
      'killed',
      'deleted',
      'uploading',
      'importing',
      'pending_delete',
      'deactivated',
    ],
  }),
  visibility: str('Scope of image accessibility', { enum: [...VISIBILITIES] }),
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: ro(['null', 'string'], 'md5 hash of image contents.', { maxLength: 32 }),
  os_hash_algo: ro(['null', 'string'], 'Algorithm to calculate the os_hash_value', { maxLength: 64 }),
  os_hash_value: ro(
    ['null', 'string'],
    'Hexdigest of the image contents using the algorithm specified by the os_hash_algo',
    {
      maxLength: 128,
    },
  ),
  owner: { type: ['null', 'string'], description: 'Owner of the image', maxLength: 255 },
  size: ro(['null', 'integer'], 'Size of image file in bytes'),
  virtual_size: ro(['null', 'integer'], 'Virtual size of image in bytes'),
  container_format: {
    type: ['null', 'string'],
    description: 'Format of the container',
    enum: [null, ...CONTAINER_FORMATS],
  },
  disk_format: { type: ['null', 'string'], description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
  created_at: ro('string', 'Date and time of image registration'),
  updated_at: ro('string', 'Date and time of the last image modification'),
  tags: {
    type: 'array',
    description: 'List of strings related to the image',
    items: { type: 'string', maxLength: 255 },
  },
  direct_url: ro('string', 'URL to access the image file kept in external store'),
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: ro('string', 'An image self url'),
  file: ro('string', 'An image file url'),
  stores: ro(
    'string',
    'Store in which image data resides. In Brume: a comma-separated list of the sites holding the image data.',
  ),
  schema: ro('string', 'An image schema url'),
  locations: {
    type: 'array',
    items: {
      type: 'object',
      properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
      required: ['url', 'metadata'],
    },
    description: 'A set of URLs to access the image file kept in external store',
  },
};

/** Glance's etc/schema-image.json. */
const customProperties = {
  kernel_id: {
    type: ['null', 'string'],
    pattern: UUID_PATTERN,
    description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
    is_base: false,
  },
  ramdisk_id: {
    type: ['null', 'string'],
    pattern: UUID_PATTERN,
    description: 'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.',
    is_base: false,
  },
  instance_uuid: str('Metadata which can be used to record which instance this image is associated with.', {
    is_base: false,
  }),
  architecture: str('Operating system architecture', { is_base: false }),
  os_distro: str('Common name of operating system distribution', { is_base: false }),
  os_version: str('Operating system version as specified by the distributor.', { is_base: false }),
  description: str('A human-readable string describing this image.', { is_base: false }),
  cinder_encryption_key_id: str('Identifier of the Block Storage encryption key for volumes made from this image', {
    is_base: false,
  }),
  cinder_encryption_key_deletion_policy: str('When the Image Service deletes the cinder_encryption_key_id key', {
    enum: ['on_image_deletion', 'do_not_delete'],
    is_base: false,
  }),
};

/** GET /v2/schemas/image. */
export function imageSchema(): Record<string, unknown> {
  return {
    name: 'image',
    properties: { ...baseProperties, ...customProperties },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** GET /v2/schemas/images. */
export function imagesSchema(): Record<string, unknown> {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema() },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** GET /v2/schemas/member. */
export function memberSchema(): Record<string, unknown> {
  return {
    name: 'member',
    properties: {
      member_id: str('An identifier for the image member (tenantId)'),
      image_id: str('An identifier for the image', { pattern: UUID_PATTERN }),
      created_at: str('Date and time of image member creation'),
      updated_at: str('Date and time of last modification of image member'),
      status: str('The status of this image member', { enum: [...MEMBER_STATUSES] }),
      schema: { readOnly: true, type: 'string' },
    },
  };
}

/** GET /v2/schemas/members. */
export function membersSchema(): Record<string, unknown> {
  return {
    name: 'members',
    properties: { members: { type: 'array', items: memberSchema() }, schema: { type: 'string' } },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
}
