/**
 * Cinder list parameters: filters (exact match on the named fields, metadata as a dict), `sort=key:dir,…` or
 * `sort_key`/`sort_dir`, `marker`, `limit` and `offset`, and the `…_links` next link when a page is full.
 */
import type { Context } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import type { AppEnv } from '../env.ts';

/** A record as the list code sees it: field name → comparable value. */
export type Listable = Record<string, unknown> & { id: string };

/** Parses `{'k': 'v'}` (Python repr, what Tempest sends) or JSON into a string map. */
export function parseMetadataFilter(raw: string): Record<string, string> {
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  } catch {
    // Not JSON: Python's dict repr.
  }
  const out: Record<string, string> = {};
  for (const m of raw.matchAll(/['"]([^'"]*)['"]\s*:\s*['"]([^'"]*)['"]/g)) out[m[1] ?? ''] = m[2] ?? '';
  if (Object.keys(out).length === 0 && raw.trim() !== '{}') {
    throw badRequest('volume.invalid_filter', `Invalid filter: metadata must be a dict, got ${raw}.`);
  }
  return out;
}

function parseSort(c: Context<AppEnv>, aliases: Record<string, string>): Array<[string, 1 | -1]> {
  const out: Array<[string, 1 | -1]> = [];
  const sort = c.req.query('sort');
  const keys = sort
    ? sort.split(',').map((s) => s.trim().split(':') as [string, string | undefined])
    : (c.req.query('sort_key') ?? '')
        .split(',')
        .filter(Boolean)
        .map((k, i) => [k, (c.req.query('sort_dir') ?? '').split(',')[i]] as [string, string | undefined]);
  for (const [k, d] of keys) {
    const dir = (d ?? 'desc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw badRequest('volume.invalid_sort', `Invalid sort direction: ${d}.`);
    out.push([aliases[k] ?? k, dir === 'asc' ? 1 : -1]);
  }
  if (out.length === 0) out.push(['created_at', -1]);
  if (!out.some(([k]) => k === 'id')) out.push(['id', out[0]?.[1] ?? -1]);
  return out;
}

function cmp(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as string | number) < (b as string | number) ? -1 : 1;
}

function nonNegative(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw))
    throw badRequest('volume.invalid_paging', `Invalid input received: ${name} must be a non-negative integer.`);
  return Number(raw);
}

/**
 * Filters, sorts and pages `items`. `filters` lists the query parameters matched exactly against the same-named
 * field; `metadata` is matched as a subset. Returns the page and the next link (when the page is full).
 */
export function listPage<T extends Listable>(
  c: Context<AppEnv>,
  items: T[],
  opts: { filters: readonly string[]; aliases?: Record<string, string>; selfUrl: string },
): { page: T[]; next?: string } {
  const aliases = opts.aliases ?? {};
  let out = items;
  for (const f of opts.filters) {
    const want = c.req.query(f);
    if (want === undefined) continue;
    const field = aliases[f] ?? f;
    out = out.filter((x) => String(x[field]) === want);
  }
  const meta = c.req.query('metadata');
  if (meta !== undefined) {
    const want = parseMetadataFilter(meta);
    out = out.filter((x) => {
      const m = (x.metadata ?? {}) as Record<string, string>;
      return Object.entries(want).every(([k, v]) => m[k] === v);
    });
  }
  const sort = parseSort(c, aliases);
  out = [...out].sort((a, b) => {
    for (const [k, d] of sort) {
      const r = cmp(a[k], b[k]);
      if (r !== 0) return r * d;
    }
    return 0;
  });
  const marker = c.req.query('marker');
  if (marker !== undefined) {
    const i = out.findIndex((x) => x.id === marker);
    if (i < 0) throw badRequest('volume.invalid_marker', `Marker ${marker} could not be found.`);
    out = out.slice(i + 1);
  }
  const offset = nonNegative(c.req.query('offset'), 'offset');
  if (offset !== undefined) out = out.slice(offset);
  const limit = nonNegative(c.req.query('limit'), 'limit');
  if (limit === undefined || out.length < limit) return { page: out };
  const page = out.slice(0, limit);
  const last = page[page.length - 1];
  if (!last || limit === 0) return { page };
  const url = new URL(opts.selfUrl);
  for (const [k, v] of new URL(c.req.url).searchParams) url.searchParams.append(k, v);
  url.searchParams.set('marker', last.id);
  url.searchParams.delete('offset');
  return { page, next: url.toString() };
}
