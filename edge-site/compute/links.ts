/** URLs and timestamps as Nova renders them. */
import type { Context } from 'hono';
import type { AppEnv } from '../api/env.ts';

/** The compute endpoint's root URL (`…/compute`), taken from the request so links work behind any prefix. */
export function computeRoot(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  const m = /\/v2(?:\.1)?(?:\/|$)/.exec(url.pathname);
  const path = m ? url.pathname.slice(0, m.index) : url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** Nova's `self` (versioned) and `bookmark` (unversioned) links of a resource. */
export function resourceLinks(c: Context<AppEnv>, collection: string, id: string) {
  const root = computeRoot(c);
  return [
    { rel: 'self', href: `${root}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${root}/${collection}/${id}` },
  ];
}

/** `2026-01-01T00:00:00Z` (servers' created/updated, fault created). */
export function isoZ(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `2026-01-01T00:00:00.000000` (launched_at, keypair created_at: Nova prints naive datetimes). */
export function isoMicro(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/** A `next` link for paged listings: the current URL with `marker` replaced. */
export function nextLink(c: Context<AppEnv>, marker: string) {
  const url = new URL(c.req.url);
  url.searchParams.set('marker', marker);
  return [{ rel: 'next', href: url.toString() }];
}
