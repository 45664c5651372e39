/** The contract of a resource type (Heat's resource plugin) and helpers shared by the plugins. */
import { BrumeError } from '../../../shared/errors.ts';
import type { IdSource } from '../../../shared/ports/ids.ts';
import { type CloudClient, type CloudService, isNotFound } from '../cloud.ts';

/** A property as `resource_types/{type}` shows it; `required`/`default` are enforced before create. */
export interface PropertySchema {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'map' | 'list' | 'any';
  description?: string;
  required?: boolean;
  default?: unknown;
  /** Changing it updates in place; other changes replace the resource. */
  update_allowed?: boolean;
}

/** What a plugin gets for one resource. */
export interface ResourceContext {
  cloud: CloudClient;
  ids: IdSource;
  stackName: string;
  stackId: string;
  resourceName: string;
  /** Plugin-private state persisted with the resource (e.g. the server a volume is attached to). */
  data: Record<string, unknown>;
  /** Polls `check` until it returns true, failing after the stack's timeout. */
  waitFor(what: string, check: () => Promise<boolean>): Promise<void>;
  /** Waits `ms` of the site clock. */
  sleep(ms: number): Promise<void>;
  /** The site clock. */
  now(): number;
  /** The stack's resources as stored (name, physical id, plugin data). */
  stackRows(): Promise<Array<{ name: string; physicalId: string | null; type: string; data: Record<string, unknown> }>>;
  /** Other types (ResourceGroup builds its members with them). */
  types: ReadonlyMap<string, ResourceType>;
}

/** A resource type. Properties arrive resolved, validated and defaulted. */
export interface ResourceType {
  description: string;
  properties: Record<string, PropertySchema>;
  attributes: Record<string, string>;
  /** Starts the creation; resolves with the physical id as soon as the cloud gave one (so it is never orphaned). */
  create(ctx: ResourceContext, props: Record<string, unknown>): Promise<string>;
  /** Waits until the created resource is usable (server ACTIVE, volume available); throws when it failed. */
  checkCreate?(ctx: ResourceContext, id: string, props: Record<string, unknown>): Promise<void>;
  /** In-place update of `update_allowed` properties. */
  update?(ctx: ResourceContext, id: string, props: Record<string, unknown>, changed: string[]): Promise<void>;
  /** Deletes and waits until gone; a resource already gone is fine. */
  delete(ctx: ResourceContext, id: string): Promise<void>;
  /** An attribute's value (`show` is the whole object). */
  attribute(ctx: ResourceContext, id: string, name: string): Promise<unknown>;
}

/** A 400 about a resource's properties. */
export function propertyError(message: string): BrumeError {
  return new BrumeError('bad_request', 'orchestration.property_invalid', message, { type: 'StackValidationFailed' });
}

/** Checks and defaults properties against a schema. */
export function validateProperties(
  resourceName: string,
  type: ResourceType,
  props: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(props)) {
    if (!(k in type.properties)) {
      throw propertyError(`Property error: resources.${resourceName}.properties: Unknown Property ${k}`);
    }
  }
  for (const [k, s] of Object.entries(type.properties)) {
    const v = props[k];
    if (v === undefined || v === null) {
      if (s.default !== undefined) out[k] = s.default;
      else if (s.required)
        throw propertyError(`Property error: resources.${resourceName}.properties: Property ${k} not assigned`);
      continue;
    }
    out[k] = coerce(resourceName, k, s, v);
  }
  return out;
}

function coerce(res: string, key: string, s: PropertySchema, v: unknown): unknown {
  const bad = (what: string) =>
    propertyError(`Property error: resources.${res}.properties.${key}: Value '${JSON.stringify(v)}' is not ${what}`);
  switch (s.type) {
    case 'any':
      return v;
    case 'integer':
    case 'number': {
      const n = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(n) || typeof v === 'boolean' || (s.type === 'integer' && !Number.isInteger(n)))
        throw bad(`an ${s.type}`);
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (['true', 'false'].includes(String(v).toLowerCase())) return String(v).toLowerCase() === 'true';
      throw bad('a boolean');
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) throw bad('a map');
      return v;
    case 'list':
      if (!Array.isArray(v)) throw bad('a list');
      return v;
    default:
      if (typeof v === 'object') throw bad('a string');
      return String(v);
  }
}

/** A physical name like Heat's: `<stack>-<resource>-<12 random chars>`. */
export function physicalName(ctx: ResourceContext): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...ctx.ids.bytes(12)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${ctx.stackName}-${ctx.resourceName}-${suffix}`;
}

/** Deletes, treating "already gone" as success. */
export async function deleteIgnoringNotFound(ctx: ResourceContext, service: CloudService, path: string): Promise<void> {
  try {
    await ctx.cloud.call(service, 'DELETE', path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** True once GET `path` is a 404. */
export async function gone(ctx: ResourceContext, service: CloudService, path: string): Promise<boolean> {
  try {
    await ctx.cloud.call(service, 'GET', path);
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The id of a Neutron/Glance/Nova object given by name or id: an id that exists is used as is, otherwise the
 * listing is searched by name (exactly one match).
 */
export async function findId(
  cloud: CloudClient,
  service: CloudService,
  collection: string,
  key: string,
  nameOrId: string,
): Promise<string> {
  if (UUID.test(nameOrId) || service === 'compute') {
    try {
      const r = await cloud.call<Record<string, { id: string }>>(
        service,
        'GET',
        `/${collection}/${encodeURIComponent(nameOrId)}`,
      );
      const obj = (service === 'image' ? r : r[key]) as { id?: string } | undefined;
      if (obj?.id) return obj.id;
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof Error && 'status' in err && err.status === 400)) throw err;
    }
  }
  const listPath =
    service === 'compute' ? `/${collection}/detail` : `/${collection}?name=${encodeURIComponent(nameOrId)}`;
  const r = await cloud.call<Record<string, Array<{ id: string; name?: string }>>>(service, 'GET', listPath);
  const matches = (r[collection.replace(/^os-/, '')] ?? r[collection] ?? []).filter((o) => o.name === nameOrId);
  if (matches.length === 1 && matches[0]) return matches[0].id;
  if (matches.length > 1)
    throw propertyError(`Multiple ${key} matches found for name '${nameOrId}', use an ID to be more specific.`);
  throw new BrumeError(
    'not_found',
    'orchestration.entity_not_found',
    `The ${key === 'image' ? 'Image' : key === 'flavor' ? 'Flavor' : key.charAt(0).toUpperCase() + key.slice(1)} (${nameOrId}) could not be found.`,
    {
      type: 'EntityNotFound',
    },
  );
}
