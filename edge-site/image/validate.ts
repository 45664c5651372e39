/**
 * Validation of image fields, following Glance's image schema: core fields are typed, extra properties are strings
 * (Glance's `additionalProperties: {type: string}`), read-only and reserved names are 403s, bad values 400s.
 */
import { z } from 'zod';
import { badRequest, forbidden } from '../../shared/errors.ts';
import { describeZodError } from '../api/body.ts';
import {
  CONTAINER_FORMATS,
  CORE_WRITABLE,
  DISALLOWED,
  DISK_FORMATS,
  READ_ONLY,
  RESERVED,
  RESERVED_PREFIX,
  VISIBILITIES,
} from './constants.ts';

const UUID = /^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$/;

/** The writable core fields of an image (all optional). */
export const coreFields = z
  .object({
    id: z.string().regex(UUID, 'must be a UUID'),
    name: z.string().max(255).nullable(),
    visibility: z.enum(VISIBILITIES),
    protected: z.boolean(),
    os_hidden: z.boolean(),
    container_format: z.enum(CONTAINER_FORMATS).nullable(),
    disk_format: z.enum(DISK_FORMATS).nullable(),
    min_disk: z.number().int().min(0, 'Cannot be a negative value'),
    min_ram: z.number().int().min(0, 'Cannot be a negative value'),
    owner: z.string().max(255).nullable(),
    tags: z.array(z.string().max(255)),
  })
  .partial();

/** Parsed core fields. */
export type CoreFields = z.infer<typeof coreFields>;

/** Glance's bundled schema-image.json properties (typed extra properties). */
const customProperties: Record<string, z.ZodType<string | null>> = {
  kernel_id: z.string().regex(UUID, 'must be a UUID').nullable(),
  ramdisk_id: z.string().regex(UUID, 'must be a UUID').nullable(),
  cinder_encryption_key_deletion_policy: z.enum(['on_image_deletion', 'do_not_delete']),
};
const anyExtra = z.string();

/** True for a core field name (writable or not). */
export function isCore(key: string): boolean {
  return (CORE_WRITABLE as readonly string[]).includes(key) || (READ_ONLY as readonly string[]).includes(key);
}

/** 403 for names a client may never set (`id` only at creation). */
export function assertSettable(key: string, creating = false): void {
  if ((DISALLOWED as readonly string[]).includes(key) || (READ_ONLY as readonly string[]).includes(key)) {
    if (!(creating && key === 'id')) throw forbidden('image.read_only', `Attribute '${key}' is read-only.`);
  }
  if ((RESERVED as readonly string[]).includes(key) || key.startsWith(RESERVED_PREFIX)) {
    throw forbidden('image.reserved', `Attribute '${key}' is reserved.`);
  }
}

/** Validates one core field's value; returns it parsed. */
export function parseCore(key: string, value: unknown): CoreFields {
  const r = coreFields.safeParse({ [key]: value });
  if (!r.success) throw badRequest('image.invalid_field', describeZodError(r.error));
  return r.data;
}

/** Validates an extra property; `null` (allowed by some custom properties) means "not set". */
export function parseExtra(key: string, value: unknown): string | null {
  if (key.length > 255) {
    throw badRequest('image.invalid_property', 'Custom property should not be greater than 255 characters.');
  }
  const r = (customProperties[key] ?? anyExtra).safeParse(value);
  if (!r.success) {
    throw badRequest(
      'image.invalid_property',
      `Invalid value for property '${key}': ${r.error.issues[0]?.message ?? 'expected a string'}.`,
    );
  }
  return r.data;
}

/** A create request split into core fields, extra properties and tags. */
export interface CreateRequest {
  core: CoreFields;
  extra: Record<string, string>;
}

/** Validates a POST /v2/images body. */
export function parseCreate(body: unknown): CreateRequest {
  if (body === undefined) throw badRequest('image.body_required', 'Body expected in request.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('image.invalid_body', 'The request body must be a JSON object.');
  }
  const fields = body as Record<string, unknown>;
  for (const key of DISALLOWED) {
    if (key in fields) throw forbidden('image.read_only', `Attribute '${key}' is read-only.`);
  }
  const coreInput: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    assertSettable(key, true);
    if (isCore(key)) {
      coreInput[key] = value;
      continue;
    }
    const v = parseExtra(key, value);
    if (v !== null) extra[key] = v;
  }
  const r = coreFields.safeParse(coreInput);
  if (!r.success) throw badRequest('image.invalid_field', describeZodError(r.error));
  return { core: r.data, extra };
}
