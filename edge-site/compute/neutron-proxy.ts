/**
 * Nova's network proxy APIs (os-security-groups, os-tenant-networks) call the site's Neutron API over HTTP with the
 * caller's token, as Nova does: the network module's policies and validation apply unchanged. Neutron's errors map
 * to Nova's codes (a 409 such as "in use" is Nova's 400).
 */
import type { Context } from 'hono';
import { BrumeError, badRequest, notFound } from '../../shared/errors.ts';
import type { AppEnv } from '../api/env.ts';
import { computeRoot } from './links.ts';

/** How compute reaches Neutron (global fetch by default; tests route it in-process). */
export type NetworkFetch = (input: string, init: RequestInit) => Promise<Response>;

let fetcher: NetworkFetch = (input, init) => fetch(input, init);

/** Replaces how compute reaches Neutron (tests); returns the previous one. */
export function setNetworkFetch(f: NetworkFetch): NetworkFetch {
  const prev = fetcher;
  fetcher = f;
  return prev;
}

/** The site's Neutron root, next to compute's (`…/compute` → `…/network`). */
export function networkRoot(c: Context<AppEnv>): string {
  return computeRoot(c).replace(/\/compute$/, '/network');
}

function neutronMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'NeutronError' in body) {
    const e = (body as { NeutronError: { message?: unknown } }).NeutronError;
    if (typeof e.message === 'string') return e.message;
  }
  return 'Network request failed.';
}

/** Calls Neutron (`path` under /v2.0) as the caller; returns the JSON body, or throws Nova's error for it. */
export async function neutron<T>(c: Context<AppEnv>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetcher(`${networkRoot(c)}/v2.0${path}`, {
    method,
    headers: {
      'X-Auth-Token': c.var.auth.token,
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json as T;
  const msg = neutronMessage(json);
  if (res.status === 404) throw notFound('compute.network_resource_not_found', msg);
  if (res.status === 400 || res.status === 409) throw badRequest('compute.network_request_invalid', msg);
  if (res.status === 403) throw new BrumeError('forbidden', 'compute.network_forbidden', msg);
  if (res.status === 401) throw new BrumeError('unauthorized', 'compute.network_unauthorized', msg);
  throw new BrumeError('internal', 'compute.network_failed', `Network API answered ${res.status}: ${msg}`);
}
