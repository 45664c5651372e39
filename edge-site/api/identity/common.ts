import type { Context } from 'hono';
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import { collectionLinks } from '../../identity/format.ts';
import type { AppEnv } from '../env.ts';

/** Base URL for `links` (identity is served at the site's root). */
export function baseUrl(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}

/** Parses Keystone's boolean query values (`true`/`True`/`1`/`false`/`0`...). */
export function queryBool(value: string | undefined, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === '' || v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw badRequest('identity.invalid_query', `Invalid input for field/attribute ${field}: expected a boolean.`);
}

/**
 * Keystone's list filters: exact match on the given string fields, `enabled` as a boolean, and `name__contains`
 * style suffixes (`__contains`, `__icontains`, `__startswith`, `__istartswith`, `__endswith`, `__iendswith`).
 */
export function filterList<T extends object>(c: Context<AppEnv>, items: readonly T[], fields: string[]): T[] {
  const q = c.req.query();
  const tests: Array<(item: T) => boolean> = [];
  for (const [k, v] of Object.entries(q)) {
    const [field = '', op] = k.split('__');
    if (!fields.includes(field)) continue;
    const get = (item: T) => (item as Record<string, unknown>)[field];
    if (field === 'enabled' || field === 'is_domain') {
      const want = queryBool(v, field);
      tests.push((item) => (get(item) ?? true) === want);
      continue;
    }
    const ci = op?.startsWith('i') ?? false;
    const norm = (s: unknown) => (ci ? String(s ?? '').toLowerCase() : String(s ?? ''));
    const want = ci ? v.toLowerCase() : v;
    const kind = op?.replace(/^i/, '');
    if (kind === 'contains') tests.push((i) => norm(get(i)).includes(want));
    else if (kind === 'startswith') tests.push((i) => norm(get(i)).startsWith(want));
    else if (kind === 'endswith') tests.push((i) => norm(get(i)).endsWith(want));
    else if (op === undefined) tests.push((i) => String(get(i) ?? '') === v);
  }
  return items.filter((item) => tests.every((t) => t(item)));
}

/** `{ <key>: items, links: {self, next, previous} }`. */
export function listBody(c: Context<AppEnv>, key: string, items: unknown[]) {
  return { [key]: items, links: collectionLinks(c.req.url) };
}

/** zod pieces shared by the resource schemas. */
export const zName = z.string().trim().min(1).max(255);
/** Domain and project names: Keystone caps them at 64 characters. */
export const zName64 = z.string().trim().min(1).max(64);
export const zDescription = z.string().max(65535).nullish();
export const zTags = z.array(z.string().min(1).max(255)).max(80);

/** The caller (the auth middleware ran). */
export function caller(c: Context<AppEnv>) {
  return c.get('auth');
}
