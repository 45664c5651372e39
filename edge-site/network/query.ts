/**
 * Neutron's list semantics over already-visible resource dicts: attribute filters (repeated → OR), tag filters,
 * `fields=`, `sort_key`/`sort_dir`, and `limit`/`marker`/`page_reverse` paging with `<collection>_links`. Pure.
 */
import { badAttribute, notFoundOf } from './errors.ts';

/** A resource as the API shows it. */
export type Dict = Record<string, unknown>;

const RESERVED = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir', 'verbose']);
const TAG_FILTERS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

/** A filter Neutron cannot express as attribute equality (e.g. ports' `fixed_ips=ip_address=…`). */
export type SpecialFilter = (item: Dict, values: string[]) => boolean;

function asBool(v: string): boolean | undefined {
  const s = v.toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

function matches(attr: unknown, value: string): boolean {
  if (attr === null) return value === '' || value === 'None';
  if (typeof attr === 'boolean') return asBool(value) === attr;
  if (typeof attr === 'number') return String(attr) === value;
  if (typeof attr === 'string') return attr === value;
  if (Array.isArray(attr)) return attr.some((a) => typeof a !== 'object' && String(a) === value);
  return true;
}

function tagsMatch(tags: string[], key: string, values: string[]): boolean {
  const wanted = values.flatMap((v) => v.split(',')).filter((t) => t !== '');
  switch (key) {
    case 'tags':
      return wanted.every((t) => tags.includes(t));
    case 'tags-any':
      return wanted.some((t) => tags.includes(t));
    case 'not-tags':
      return !wanted.every((t) => tags.includes(t));
    default:
      return !wanted.some((t) => tags.includes(t));
  }
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Keeps only `fields` of a dict (all of it when none are asked for). */
export function pickFields(item: Dict, fields: string[]): Dict {
  if (fields.length === 0) return item;
  const out: Dict = {};
  for (const f of fields) if (f in item) out[f] = item[f];
  return out;
}

/** The `fields=` of a request (repeatable, comma-separated allowed). */
export function fieldsOf(url: URL): string[] {
  return url.searchParams
    .getAll('fields')
    .flatMap((f) => f.split(','))
    .filter((f) => f !== '');
}

/** Applies a list request to `items`; returns the body (`{[collection]: [...], [collection_links]?}`). */
export function listResponse(
  items: Dict[],
  url: URL,
  collection: string,
  special: Record<string, SpecialFilter> = {},
): Dict {
  const params = url.searchParams;
  const keys = [...new Set(params.keys())].filter((k) => !RESERVED.has(k));
  let out = items.filter((item) =>
    keys.every((k) => {
      const values = params.getAll(k);
      const sp = special[k];
      if (sp) return sp(item, values);
      if (TAG_FILTERS.has(k)) return tagsMatch((item.tags as string[] | undefined) ?? [], k, values);
      if (!(k in item)) return true;
      return values.some((v) => matches(item[k], v));
    }),
  );

  const sortKeys = params.getAll('sort_key');
  const sortDirs = params.getAll('sort_dir');
  for (const d of sortDirs)
    if (d !== 'asc' && d !== 'desc') throw badAttribute('sort_dir', `'${d}' is not in ['asc', 'desc']`);
  const sample = items[0];
  for (const k of sortKeys) {
    if (sample && !(k in sample)) throw badAttribute('sort_key', `'${k}' is an invalid attribute for sort_key`);
  }
  const order: Array<[string, number]> = sortKeys.map((k, i) => [k, sortDirs[i] === 'desc' ? -1 : 1]);
  if (order.length > 0 && !sortKeys.includes('id')) order.push(['id', order[0]?.[1] ?? 1]);
  // Without sort keys the input order (creation order) stands; Array.prototype.sort is stable.
  out = [...out].sort((a, b) => {
    for (const [k, dir] of order) {
      const c = compare(a[k], b[k]);
      if (c !== 0) return c * dir;
    }
    return 0;
  });

  const links: Array<{ rel: string; href: string }> = [];
  const limitRaw = params.get('limit');
  const marker = params.get('marker');
  const reverse = asBool(params.get('page_reverse') ?? 'false') === true;
  let limit: number | undefined;
  if (limitRaw !== null && limitRaw !== '') {
    limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 0) throw badAttribute('limit', `'${limitRaw}' is not an integer >= 0`);
    if (limit === 0) limit = undefined;
  }
  if (marker) {
    const at = out.findIndex((i) => i.id === marker);
    if (at < 0) throw notFoundOf('NotFound', `Marker ${marker} could not be found.`);
    out = reverse ? out.slice(0, at) : out.slice(at + 1);
  }
  if (limit !== undefined) {
    const more = out.length > limit;
    out = reverse ? out.slice(Math.max(0, out.length - limit)) : out.slice(0, limit);
    const link = (rel: string, id: unknown, rev: boolean) => {
      const u = new URL(url.href);
      u.searchParams.set('marker', String(id));
      u.searchParams.set('limit', String(limit));
      if (rev) u.searchParams.set('page_reverse', 'True');
      else u.searchParams.delete('page_reverse');
      links.push({ rel, href: u.href });
    };
    const first = out[0];
    const last = out[out.length - 1];
    if (reverse) {
      if (first && more) link('previous', first.id, true);
      if (last && marker) link('next', last.id, false);
    } else {
      if (last && more) link('next', last.id, false);
      if (first && marker) link('previous', first.id, true);
    }
  }
  const fields = fieldsOf(url);
  const body: Dict = { [collection]: out.map((i) => pickFields(i, fields)) };
  if (links.length > 0) body[`${collection}_links`] = links;
  return body;
}
