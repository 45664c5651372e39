import { isUuidLike } from '../../shared/ports/ids.ts';
import { jsonOf, Unreachable } from './proxy.ts';
import type { SiteEntry } from './sites.ts';
import type { GlobalState } from './state.ts';

/** Collections whose members are site-local resources addressed by id, and their singular (body key). */
const COLLECTIONS: Record<string, string> = {
  servers: 'server',
  volumes: 'volume',
  snapshots: 'snapshot',
  backups: 'backup',
  attachments: 'attachment',
  networks: 'network',
  subnets: 'subnet',
  ports: 'port',
  routers: 'router',
  floatingips: 'floatingip',
  'security-groups': 'security_group',
  'security-group-rules': 'security_group_rule',
  images: 'image',
  stacks: 'stack',
};

/** Cached homes kept per process / isolate (oldest dropped first). */
const HOMES_MAX = 50_000;

function remember(state: GlobalState, id: string, url: string): void {
  if (state.homes.size >= HOMES_MAX) {
    const oldest = state.homes.keys().next();
    if (!oldest.done) state.homes.delete(oldest.value);
  }
  state.homes.set(id, url);
}

/** A resource id found in a site path. */
export interface PathResource {
  id: string;
  collection: string;
  /** The path up to and including the id (`/compute/v2.1/servers/<id>`): a GET of it tells whether a site has it. */
  prefix: string;
}

/** The first `<collection>/<uuid>` of a site path, if any. */
export function resourceOf(path: string): PathResource | undefined {
  const segs = path.split('/');
  for (let i = 1; i < segs.length; i++) {
    const id = segs[i] ?? '';
    const col = segs[i - 1] ?? '';
    if (col in COLLECTIONS && isUuidLike(id)) return { id, collection: col, prefix: segs.slice(0, i + 1).join('/') };
  }
  return undefined;
}

/** True when the path names a collection itself (`.../servers`, `.../volumes`): a POST there is a create. */
export function isCollection(path: string): boolean {
  const last = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return last in COLLECTIONS;
}

/** An entry of the federation's resource index (`GET /federation/v1/resources/{id}` at any site). */
export interface IndexEntry {
  id: string;
  type: string;
  site_id: string;
  project_id: string | null;
  name: string | null;
  status: string | null;
  updated_at: string | null;
  site_reachable: boolean;
  last_contact: string | null;
  age_seconds: number | null;
}

/** Reads the index entry of `id` from any reachable site (undefined when unknown or the index cannot be read). */
export async function indexEntry(state: GlobalState, id: string, token: string): Promise<IndexEntry | undefined> {
  const headers = new Headers({ 'X-Auth-Token': token, Accept: 'application/json' });
  try {
    const { res } = await state.sendAny(`/federation/v1/resources/${encodeURIComponent(id)}`, {
      method: 'GET',
      headers,
      body: null,
    });
    const body = (await jsonOf(res)) as { resource?: IndexEntry } | undefined;
    return res.ok && body?.resource?.site_id ? body.resource : undefined;
  } catch (err) {
    if (err instanceof Unreachable) return undefined;
    throw err;
  }
}

/**
 * The home site of a resource among `candidates`: the cached answer, else the resource index, else a probe (a GET
 * of the resource at every candidate, first 200 wins — for a federation whose index is not there yet).
 * Also returns the index entry when it was read (the honest answer when the home site is down).
 */
export async function locate(
  state: GlobalState,
  r: PathResource,
  token: string,
  candidates: readonly SiteEntry[],
): Promise<{ site: SiteEntry | undefined; entry: IndexEntry | undefined }> {
  const cached = state.homes.get(r.id);
  const hit = cached === undefined ? undefined : candidates.find((s) => s.url === cached);
  if (hit) return { site: hit, entry: undefined };
  const entry = await indexEntry(state, r.id, token);
  if (entry) {
    await state.refreshSites(token);
    const site = state.sites.byId(entry.site_id);
    if (site && candidates.includes(site)) {
      remember(state, r.id, site.url);
      return { site, entry };
    }
    return { site: undefined, entry };
  }
  const headers = new Headers({ 'X-Auth-Token': token, Accept: 'application/json' });
  const probes = candidates.map(async (site) => {
    const res = await state.send(
      site.url,
      r.prefix,
      { method: 'GET', headers, body: null },
      state.deps.config.fanOutTimeoutMs,
    );
    await res.body?.cancel();
    if (res.status !== 200) throw new Error('not here');
    return site;
  });
  try {
    const site = await Promise.any(probes);
    remember(state, r.id, site.url);
    return { site, entry: undefined };
  } catch {
    return { site: undefined, entry: undefined };
  }
}

/**
 * The honest answer for a resource whose home site is unreachable: its last known state from the index, marked
 * stale with its age (`X-Brume-Stale-Seconds`, `brume:stale`), never a confident current state.
 */
export function staleResponse(r: PathResource, e: IndexEntry, region: string): Response {
  const age = e.age_seconds ?? -1;
  const view: Record<string, unknown> = {
    id: e.id,
    name: e.name,
    status: e.status ?? 'UNKNOWN',
    updated: e.updated_at,
    tenant_id: e.project_id,
    project_id: e.project_id,
    'brume:stale': true,
    'brume:site': e.site_id,
    'brume:region': region,
    'brume:last_contact': e.last_contact,
    'brume:age_seconds': e.age_seconds,
  };
  const singular = COLLECTIONS[r.collection] ?? r.collection;
  // Glance answers an image bare; every other service wraps it under the singular.
  const body = r.collection === 'images' ? view : { [singular]: view };
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'X-Brume-Stale-Seconds': String(age),
      'X-Brume-Region': region,
      'X-Brume-Site': e.site_id,
    },
  });
}
