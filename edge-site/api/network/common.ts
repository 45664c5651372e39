/**
 * Request plumbing shared by the Neutron routes: `{resource: {...}}` bodies with Neutron's attribute errors,
 * bulk `{resources: [...]}` bodies, the writer role check, and `fields=` on single-resource responses.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { badAttribute, badRequestTyped } from '../../network/errors.ts';
import { type Dict, fieldsOf, pickFields } from '../../network/query.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import { requireRole } from '../policy.ts';

/** A zod object schema of a resource's writable attributes. */
export type AttrSchema = z.ZodObject<z.ZodRawShape>;

/** Booleans as Neutron converts them ("true"/"False"/1 accepted). */
export const bool = z.preprocess((v) => {
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  if (v === 1) return true;
  if (v === 0) return false;
  return v;
}, z.boolean());

/** Neutron's bounded strings. */
export const name = z.string().max(255);
export const description = z.string().max(255);
export const tags = z.array(z.string().min(1).max(255));
export const projectId = z.string().min(1).max(255);

/** Integers Neutron accepts as numbers or numeric strings. */
export const int = z.preprocess(
  (v) => (typeof v === 'string' && /^-?[0-9]+$/.test(v) ? Number(v) : v),
  z.number().int(),
);

function checkOne<T>(raw: unknown, schema: AttrSchema, readOnly: readonly string[], method: 'POST' | 'PUT'): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequestTyped('HTTPBadRequest', 'Resource body required');
  }
  const known = new Set(Object.keys(schema.shape));
  const keys = Object.keys(raw);
  for (const k of keys) {
    if (readOnly.includes(k)) {
      throw badRequestTyped(
        'HTTPBadRequest',
        method === 'POST' ? `Attribute '${k}' not allowed in POST` : `Cannot update read-only attribute ${k}`,
      );
    }
  }
  const unknown = keys.filter((k) => !known.has(k));
  if (unknown.length > 0) throw badRequestTyped('HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const attr = String(issue?.path[0] ?? 'body');
    const value = (raw as Dict)[attr];
    if (value === undefined) {
      throw badRequestTyped('HTTPBadRequest', `Failed to parse request. Required attribute '${attr}' not specified`);
    }
    throw badAttribute(attr, `'${JSON.stringify(value)}' is not valid: ${issue?.message ?? 'invalid value'}`);
  }
  return parsed.data as T;
}

/** Parses `{[key]: {...}}` against `schema`. */
export async function resourceBody<T>(
  c: Context<AppEnv>,
  key: string,
  schema: AttrSchema,
  method: 'POST' | 'PUT',
  readOnly: readonly string[] = [],
): Promise<T> {
  const body = await jsonBody<unknown>(c);
  if (typeof body !== 'object' || body === null || !(key in body)) {
    throw badRequestTyped('HTTPBadRequest', `Unable to find '${key}' in request body`);
  }
  return checkOne<T>((body as Dict)[key], schema, readOnly, method);
}

/** Parses a create body, single (`{network: {}}`) or bulk (`{networks: [...]}`). */
export async function createBodies<T>(
  c: Context<AppEnv>,
  key: string,
  collection: string,
  schema: AttrSchema,
  readOnly: readonly string[] = [],
): Promise<{ bulk: boolean; items: T[] }> {
  const body = await jsonBody<unknown>(c);
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Dict;
    if (key in b) return { bulk: false, items: [checkOne<T>(b[key], schema, readOnly, 'POST')] };
    const list = b[collection];
    if (Array.isArray(list)) {
      if (list.length === 0) throw badRequestTyped('HTTPBadRequest', 'Resources required');
      return { bulk: true, items: list.map((x) => checkOne<T>(x, schema, readOnly, 'POST')) };
    }
  }
  throw badRequestTyped('HTTPBadRequest', `Unable to find '${key}' in request body`);
}

/** The caller, who must be allowed to write (member or admin). */
export function writer(c: Context<AppEnv>): AuthContext {
  const auth = c.get('auth');
  requireRole(auth, 'member');
  return auth;
}

/** A single resource trimmed to the request's `fields=`. */
export function shown(c: Context<AppEnv>, item: Dict): Dict {
  return pickFields(item, fieldsOf(new URL(c.req.url)));
}

/** Creates every item or none: on a failure, the ones already created are undone (Neutron's bulk emulation). */
export async function createAll<T>(
  items: T[],
  create: (item: T) => Promise<Dict>,
  undo: (created: Dict) => Promise<void>,
): Promise<Dict[]> {
  const done: Dict[] = [];
  try {
    for (const item of items) done.push(await create(item));
  } catch (err) {
    for (const d of done.reverse()) await undo(d).catch(() => undefined);
    throw err;
  }
  return done;
}
