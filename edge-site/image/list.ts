/**
 * GET /v2/images: Glance's filters, sorting and marker paging over the visible images. Pure over the catalog
 * snapshot; the route only formats the page.
 */
import { badRequest } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { canSee, memberKey } from './access.ts';
import { DEFAULT_PAGE, MAX_PAGE, SORT_KEYS, VISIBILITIES } from './constants.ts';

type SortKey = (typeof SORT_KEYS)[number];
type Predicate = (image: Image) => boolean;

/** One page of images and whether more follow. */
export interface ImagePage {
  images: Image[];
  /** Id to pass as `marker` for the next page, when there is one. */
  nextMarker?: string;
}

const INT = /^-?\d+$/;

function intParam(name: string, raw: string): number {
  if (!INT.test(raw.trim())) throw badRequest('image.bad_filter', `${name} param must be an integer`);
  return Number.parseInt(raw, 10);
}

function boolParam(name: string, raw: string): boolean {
  const v = raw.toLowerCase();
  if (v !== 'true' && v !== 'false') {
    throw badRequest(
      'image.bad_filter',
      `Invalid value '${raw}' for '${name}' filter. Valid values are 'true' or 'false'.`,
    );
  }
  return v === 'true';
}

/** `in:a,b` / `eq:a` / plain value, as Glance's `split_filter_op`. */
function matchOp(name: string, raw: string): (v: string | null) => boolean {
  const m = /^(in|eq):(.*)$/s.exec(raw);
  if (!m) return (v) => v === raw;
  if (m[1] === 'eq') return (v) => v === m[2];
  const values = (m[2] ?? '').split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
  if (values.length === 0) throw badRequest('image.bad_filter', `Bad "${name}" filter.`);
  return (v) => v !== null && values.includes(v);
}

/** Time filters: `gt:2026-01-01T00:00:00Z`, `lte:…`, … */
function timeOp(name: string, raw: string): (ms: number) => boolean {
  const m = /^(gt|gte|lt|lte|eq|neq):(.*)$/.exec(raw);
  const op = m ? m[1] : 'eq';
  const t = Date.parse(m ? (m[2] ?? '') : raw);
  if (Number.isNaN(t))
    throw badRequest('image.bad_filter', `Bad "${name}" query filter format. Use ISO 8601 DateTime notation.`);
  const at = Math.floor(t / 1000) * 1000;
  return (ms) => {
    const s = Math.floor(ms / 1000) * 1000;
    switch (op) {
      case 'gt':
        return s > at;
      case 'gte':
        return s >= at;
      case 'lt':
        return s < at;
      case 'lte':
        return s <= at;
      case 'neq':
        return s !== at;
      default:
        return s === at;
    }
  };
}

const RANGE_FIELDS = ['size', 'virtual_size', 'min_ram', 'min_disk'] as const;
const PAGING = new Set(['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'tag', 'visibility']);

function filters(params: URLSearchParams): Predicate[] {
  const out: Predicate[] = [];
  let hiddenSeen = false;
  for (const [key, raw] of params) {
    if (PAGING.has(key)) continue;
    if (key === 'changes-since') {
      throw badRequest('image.bad_filter', 'The "changes-since" filter is no longer available on v2.');
    }
    const range = RANGE_FIELDS.find((f) => key === `${f}_min` || key === `${f}_max`);
    if (range) {
      const n = intParam(key, raw);
      out.push(key.endsWith('_min') ? (i) => (i[range] ?? 0) >= n : (i) => (i[range] ?? 0) <= n);
      continue;
    }
    switch (key) {
      case 'name':
      case 'id':
      case 'status':
      case 'container_format':
      case 'disk_format': {
        const m = matchOp(key, raw);
        out.push((i) => m(i[key]));
        break;
      }
      case 'owner':
      case 'checksum':
      case 'os_hash_value':
        out.push((i) => i[key] === raw);
        break;
      case 'size':
      case 'virtual_size':
      case 'min_ram':
      case 'min_disk': {
        const n = intParam(key, raw);
        out.push((i) => i[key] === n);
        break;
      }
      case 'protected': {
        const b = boolParam(key, raw);
        out.push((i) => i.protected === b);
        break;
      }
      case 'os_hidden': {
        hiddenSeen = true;
        const b = boolParam(key, raw);
        out.push((i) => i.os_hidden === b);
        break;
      }
      case 'created_at':
      case 'updated_at': {
        const t = timeOp(key, raw);
        out.push((i) => t(i[key]));
        break;
      }
      default:
        // Anything else filters on an extra property, as in Glance.
        out.push((i) => i.properties[key] === raw);
    }
  }
  if (!hiddenSeen) out.push((i) => !i.os_hidden);
  for (const tag of params.getAll('tag')) out.push((i) => i.tags.includes(tag.trim()));
  return out;
}

function sorting(params: URLSearchParams): Array<{ key: SortKey; dir: 'asc' | 'desc' }> {
  const keyOf = (k: string): SortKey => {
    if (!(SORT_KEYS as readonly string[]).includes(k)) {
      throw badRequest(
        'image.bad_sort',
        `Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`,
      );
    }
    return k as SortKey;
  };
  const dirOf = (d: string): 'asc' | 'desc' => {
    if (d !== 'asc' && d !== 'desc') throw badRequest('image.bad_sort', `Invalid sort direction: ${d}`);
    return d;
  };
  const sort = params.get('sort');
  if (sort !== null) {
    if (params.has('sort_key') || params.has('sort_dir')) {
      throw badRequest('image.bad_sort', 'Old and new sorting syntax cannot be combined');
    }
    return sort.split(',').map((part) => {
      const [k = '', d = ''] = part.split(':');
      return { key: keyOf(k.trim()), dir: d.trim() ? dirOf(d.trim()) : 'desc' };
    });
  }
  const keys = params.getAll('sort_key').map((k) => keyOf(k.trim()));
  const dirs = params.getAll('sort_dir').map((d) => dirOf(d.trim()));
  if (dirs.length > 1 && dirs.length !== keys.length) {
    throw badRequest('image.bad_sort', 'Number of sort dirs does not match the number of sort keys');
  }
  const all = keys.length > 0 ? keys : (['created_at'] as SortKey[]);
  return all.map((key, n) => ({ key, dir: dirs[dirs.length > 1 ? n : 0] ?? 'desc' }));
}

function compare(a: Image, b: Image, key: SortKey | 'id'): number {
  const x = a[key];
  const y = b[key];
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

/** Glance's listing rules: which visible images a listing includes for a visibility/member_status filter. */
function listable(catalog: CatalogStore, auth: AuthContext, params: URLSearchParams): Predicate {
  const visibility = params.get('visibility');
  if (visibility !== null && visibility !== 'all' && !(VISIBILITIES as readonly string[]).includes(visibility)) {
    throw badRequest('image.bad_filter', `Invalid visibility value: ${visibility}`);
  }
  const memberStatus = params.get('member_status') ?? 'accepted';
  if (!['pending', 'accepted', 'rejected', 'all'].includes(memberStatus)) {
    throw badRequest('image.bad_filter', `Invalid status: ${memberStatus}`);
  }
  const admin = isAdmin(auth);
  const project = auth.project?.id ?? null;
  return (image) => {
    if (visibility !== null && visibility !== 'all' && image.visibility !== visibility) return false;
    // Community images are only listed to their owner unless asked for by visibility.
    if (visibility === null && image.visibility === 'community' && (project === null || image.owner !== project)) {
      return false;
    }
    if (admin) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    if (project !== null && image.owner === project) return true;
    if (image.visibility !== 'shared' || project === null) return false;
    const m = catalog.get('image_members', memberKey(image.id, project));
    return m !== undefined && (memberStatus === 'all' || m.status === memberStatus);
  };
}

/** Lists images visible to `auth` that match the query, sorted and paged. */
export function listImages(catalog: CatalogStore, auth: AuthContext, params: URLSearchParams): ImagePage {
  const limitRaw = params.get('limit');
  let limit = DEFAULT_PAGE;
  if (limitRaw !== null) {
    limit = intParam('limit', limitRaw);
    if (limit < 0) throw badRequest('image.bad_limit', 'limit param must be positive');
  }
  limit = Math.min(limit, MAX_PAGE);
  const order = sorting(params);
  const preds = [listable(catalog, auth, params), ...filters(params)];
  const cmp = (a: Image, b: Image): number => {
    for (const { key, dir } of order) {
      const c = compare(a, b, key);
      if (c !== 0) return dir === 'asc' ? c : -c;
    }
    return -compare(a, b, 'id');
  };
  const rows = catalog
    .list('images')
    .filter((i) => canSee(catalog, auth, i) && preds.every((p) => p(i)))
    .sort(cmp);
  let start = 0;
  const marker = params.get('marker');
  if (marker !== null) {
    const m = catalog.get('images', marker);
    if (!m || !canSee(catalog, auth, m)) throw badRequest('image.bad_marker', `No image found with ID ${marker}`);
    // The first row after the marker in sort order (the marker itself may be filtered out).
    const after = rows.findIndex((i) => cmp(m, i) < 0);
    start = after < 0 ? rows.length : after;
  }
  const images = rows.slice(start, start + limit);
  const last = images.at(-1);
  return start + limit < rows.length && last ? { images, nextMarker: last.id } : { images };
}
