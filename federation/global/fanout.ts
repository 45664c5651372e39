import { Unreachable } from './proxy.ts';
import type { SiteEntry } from './sites.ts';
import type { GlobalState, SendInit } from './state.ts';

/** One site's part of a fan-out. */
interface Part {
  region: string;
  site: SiteEntry;
  status: number;
  body: unknown;
  headers: Headers;
}

/** The key of a listing body's array (`servers`, `images`, …), ignoring `*_links`. */
function listKey(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return Object.keys(body).find((k) => Array.isArray((body as Record<string, unknown>)[k]) && !k.endsWith('links'));
}

/**
 * Sends one GET to every site (each region's sites hold different resources) with a bounded per-site timeout and
 * merges the listings: items concatenated in region order, deduplicated by id (replicated records such as images
 * and flavors are listed by every site), each tagged `brume:region`. Regions that did not answer are named in
 * `X-Brume-Missing-Regions` and the body's `brume:missing_regions` instead of failing the whole list; pagination
 * links are dropped (each region applied the limit on its own). A region whose circuit is open is not waited on.
 */
export async function fanOut(
  state: GlobalState,
  targets: ReadonlyArray<{ region: string; site: SiteEntry }>,
  pathAndQuery: string,
  init: SendInit,
  rewrite: (text: string, site: SiteEntry, region: string) => string,
  defer: (p: Promise<unknown>) => void,
): Promise<Response> {
  const timeout = state.deps.config.fanOutTimeoutMs;
  const settled = await Promise.allSettled(
    targets.map(async ({ region, site }): Promise<Part> => {
      // A site whose circuit is not closed is not waited on: named missing now, probed in the background.
      if (!state.health.healthy(site.url)) {
        state.probe(site.url, defer);
        throw new Unreachable(site.url, 'circuit_open');
      }
      const res = await state.send(site.url, pathAndQuery, init, timeout);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(rewrite(text, site, region));
      } catch {
        body = undefined;
      }
      return { region, site, status: res.status, body, headers: res.headers };
    }),
  );
  const parts: Part[] = [];
  const missing = new Set<string>();
  settled.forEach((s, i) => {
    const t = targets[i];
    if (s.status === 'fulfilled') parts.push(s.value);
    else if (t) missing.add(t.region);
    if (s.status === 'rejected' && !(s.reason instanceof Unreachable)) {
      state.deps.log.warn({ err: String(s.reason), site: t?.site.url }, 'global: fan-out part failed');
    }
  });
  const answered = parts.filter((p) => p.status >= 200 && p.status < 300);
  const first = answered[0] ?? parts[0];
  const missingList = [...missing].filter((r) => !answered.some((p) => p.region === r)).sort();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'X-Brume-Regions': [...new Set(answered.map((p) => p.region))].sort().join(','),
  };
  if (missingList.length > 0) headers['X-Brume-Missing-Regions'] = missingList.join(',');
  if (!first) {
    return new Response(JSON.stringify({ 'brume:missing_regions': missingList }), { status: 503, headers });
  }
  const key = listKey(first.body);
  if (answered.length === 0 || key === undefined) {
    // Not a listing (or every region refused): one region's answer, honest about the others.
    return new Response(JSON.stringify(first.body ?? null), { status: first.status, headers });
  }
  const seen = new Set<unknown>();
  const items: unknown[] = [];
  for (const p of answered) {
    const list = (p.body as Record<string, unknown>)[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const id = (item as { id?: unknown })?.id;
      if (id !== undefined && seen.has(id)) continue;
      if (id !== undefined) seen.add(id);
      items.push(item && typeof item === 'object' ? { ...item, 'brume:region': p.region } : item);
    }
  }
  const merged: Record<string, unknown> = { ...(first.body as Record<string, unknown>), [key]: items };
  for (const k of Object.keys(merged)) if (k.endsWith('_links') || k === 'next') delete merged[k];
  merged['brume:missing_regions'] = missingList;
  return new Response(JSON.stringify(merged), { status: 200, headers });
}
