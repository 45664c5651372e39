/**
 * Glance's JSON-patch dialects for PATCH /v2/images/{id}: `application/openstack-images-v2.1-json-patch`
 * (`{op, path, value}`, RFC 6902 style) and the older `…-v2.0-json-patch` (`{"replace": "/name", value}`).
 */
import { BrumeError, badRequest, conflict, forbidden } from '../../shared/errors.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import { MAX_PROPERTIES, MAX_TAGS } from './constants.ts';
import { assertSettable, type CoreFields, isCore, parseCore, parseExtra } from './validate.ts';

/** The patch media types and the JSON-schema draft each follows. */
export const PATCH_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

const OPS = ['add', 'remove', 'replace'] as const;
type Op = (typeof OPS)[number];

/** One validated change. */
export interface Change {
  op: Op;
  /** The (single) attribute the change targets. */
  key: string;
  value?: unknown;
  draft: 4 | 10;
}

/** The media type of a Content-Type header, or a 415. */
export function patchDraft(contentType: string | undefined): 4 | 10 {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const draft = PATCH_TYPES[mime];
  if (!draft) {
    throw new BrumeError(
      'unsupported_media_type',
      'image.patch_media_type',
      `Image PATCH expects Content-Type one of: ${Object.keys(PATCH_TYPES).sort().join(', ')}`,
    );
  }
  return draft;
}

function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw badRequest('image.bad_patch', 'Pointer must be a string.');
  if (!pointer.startsWith('/')) throw badRequest('image.bad_patch', `Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) {
    throw badRequest('image.bad_patch', `Pointer \`${pointer}\` contains adjacent "/".`);
  }
  if (pointer.length > 1 && pointer.endsWith('/')) {
    throw badRequest('image.bad_patch', `Pointer \`${pointer}\` end with "/".`);
  }
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw badRequest(
      'image.bad_patch',
      `Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): { op: Op; path: unknown } {
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined) {
      throw badRequest(
        'image.bad_patch',
        `Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPS.join(', ')}.`,
      );
    }
    if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
      throw badRequest(
        'image.bad_patch',
        `Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPS.join(', ')}.`,
      );
    }
    if (!('path' in raw)) throw badRequest('image.bad_patch', "Unable to find 'path' in JSON Schema change");
    return { op: op as Op, path: raw.path };
  }
  const present = OPS.filter((o) => o in raw);
  if (present.length !== 1) {
    throw badRequest(
      'image.bad_patch',
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    );
  }
  const op = present[0] as Op;
  return { op, path: raw[op] };
}

/** Parses and validates a patch document (all-or-nothing, before anything is applied). */
export function parsePatch(body: unknown, draft: 4 | 10): Change[] {
  if (!Array.isArray(body)) {
    throw badRequest('image.bad_patch', 'Request body must be a JSON array of operation objects.');
  }
  return body.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw badRequest('image.bad_patch', 'Operations must be JSON objects.');
    }
    const record = raw as Record<string, unknown>;
    const { op, path } = operationOf(record, draft);
    const parts = decodePointer(path);
    const key = parts[0] ?? '';
    if (parts.length !== 1 || key === '') {
      throw badRequest('image.bad_patch', `Invalid JSON pointer for this resource: '/${parts.join('/')}'`);
    }
    assertSettable(key);
    if (op === 'remove') return { op, key, draft };
    if (!('value' in record)) throw badRequest('image.bad_patch', `Operation "${op}" requires a member named "value".`);
    // Validate the value's type now so a bad change fails the whole patch with 400.
    if (isCore(key)) parseCore(key, record.value);
    else parseExtra(key, record.value);
    return { op, key, value: record.value, draft };
  });
}

/** Who is applying the patch (decides owner/visibility rights). */
export interface PatchActor {
  admin: boolean;
}

function setCore(image: Image, key: string, value: unknown, actor: PatchActor): void {
  const parsed: CoreFields = parseCore(key, value);
  switch (key) {
    case 'owner':
      if (!actor.admin) throw forbidden('image.owner_change', "Owner can't be updated by non admin.");
      image.owner = parsed.owner ?? null;
      return;
    case 'visibility':
      if (parsed.visibility === 'public' && !actor.admin) {
        throw forbidden('image.publicize', 'You are not authorized to complete publicize_image action.');
      }
      if (parsed.visibility) image.visibility = parsed.visibility;
      return;
    case 'container_format':
    case 'disk_format':
      if (image.status !== 'queued' && image[key] !== parsed[key]) {
        throw forbidden('image.format_locked', `Attribute ${key} can be only replaced for a queued image.`);
      }
      image[key] = parsed[key] ?? null;
      return;
    case 'tags': {
      const tags = [...new Set(parsed.tags ?? [])];
      if (tags.length > MAX_TAGS) throw new BrumeError('too_large', 'image.tag_limit', `Maximum ${MAX_TAGS} tags.`);
      image.tags = tags;
      return;
    }
    case 'name':
      image.name = parsed.name ?? null;
      return;
    case 'protected':
    case 'os_hidden':
      image[key] = parsed[key] ?? false;
      return;
    case 'min_disk':
    case 'min_ram':
      image[key] = parsed[key] ?? 0;
      return;
    default:
      throw badRequest('image.bad_patch', `Attribute '${key}' cannot be changed.`);
  }
}

/** Applies validated changes to a copy of `image` and returns it; Glance's add/replace/remove semantics. */
export function applyPatch(image: Image, changes: Change[], actor: PatchActor): Image {
  const next: Image = { ...image, tags: [...image.tags], properties: { ...image.properties } };
  for (const ch of changes) {
    const core = isCore(ch.key);
    if (ch.op === 'remove') {
      if (core) throw forbidden('image.remove_core', `Property ${ch.key} may not be removed.`);
      if (!(ch.key in next.properties)) throw conflict('image.no_property', `Property ${ch.key} does not exist.`);
      delete next.properties[ch.key];
      continue;
    }
    if (ch.op === 'add' && ch.draft === 4 && (core || ch.key in next.properties)) {
      throw conflict('image.property_exists', `Property ${ch.key} already present.`);
    }
    if (core) {
      setCore(next, ch.key, ch.value, actor);
      continue;
    }
    if (ch.op === 'replace' && !(ch.key in next.properties)) {
      throw conflict('image.no_property', `Property ${ch.key} does not exist.`);
    }
    const v = parseExtra(ch.key, ch.value);
    if (v === null) delete next.properties[ch.key];
    else next.properties[ch.key] = v;
  }
  if (Object.keys(next.properties).length > MAX_PROPERTIES) {
    throw new BrumeError('too_large', 'image.property_limit', `Maximum ${MAX_PROPERTIES} image properties.`);
  }
  return next;
}
