import type { ServiceName } from '../../edge-site/api/env.ts';
import { errorResponse, regionUnavailable } from './errors.ts';
import { jsonOf, type SiteBody, Unreachable } from './proxy.ts';
import type { GlobalState } from './state.ts';

/**
 * `X-Brume-Scope`: which region serves which service for one request, e.g. `compute=nantes, image=paris` (boot at
 * nantes with an image from paris) or `region=nantes` (every service). Keys are service names (`compute`, `image`,
 * `network`, `volume`) or `region`.
 */
export type Scope = Record<string, string>;

/** Parses the header; a malformed entry is reported as an error message. */
export function parseScope(header: string | undefined): { scope: Scope } | { error: string } {
  const scope: Scope = {};
  if (header === undefined || header.trim() === '') return { scope };
  for (const part of header.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*([^\s=]+)\s*$/i.exec(part);
    if (!m?.[1] || !m[2]) return { error: `X-Brume-Scope: "${part.trim()}" is not <service>=<region>.` };
    scope[m[1].toLowerCase()] = m[2];
  }
  return { scope };
}

/** The region the scope names for `service`, if any. */
export function scopedRegion(scope: Scope, service: ServiceName): string | undefined {
  return scope[service] ?? scope.region;
}

/**
 * Composes services across regions for a server create: with `image=<region>` in the scope, the image must exist
 * in that region (checked there before the create is forwarded; the compute site then pulls the bytes from the
 * sites holding them). Returns an error response, or undefined to go on.
 */
export async function checkImageScope(
  state: GlobalState,
  scope: Scope,
  rest: string,
  body: SiteBody,
  headers: Headers,
): Promise<Response | undefined> {
  const region = scope.image;
  if (region === undefined || !/\/servers$/.test(rest) || !(body instanceof ArrayBuffer)) return undefined;
  let imageRef: unknown;
  try {
    imageRef = (JSON.parse(new TextDecoder().decode(body)) as { server?: { imageRef?: unknown } }).server?.imageRef;
  } catch {
    return undefined;
  }
  if (typeof imageRef !== 'string' || imageRef === '') return undefined;
  const sites = state.sites.inRegion(region);
  if (sites.length === 0) return errorResponse('compute', 400, `X-Brume-Scope names an unknown region: ${region}.`);
  for (const site of sites) {
    try {
      const res = await state.send(site.url, `/image/v2/images/${encodeURIComponent(imageRef)}`, {
        method: 'GET',
        headers,
        body: null,
      });
      const img = await jsonOf(res);
      if (res.ok && img) return undefined;
      return errorResponse('compute', 400, `Image ${imageRef} could not be found in region ${region}.`);
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
    }
  }
  return regionUnavailable('image', region, 'no site reachable');
}
