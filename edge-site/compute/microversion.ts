/**
 * Nova microversions: `OpenStack-API-Version: compute X.Y` (or the legacy `X-OpenStack-Nova-API-Version: X.Y`),
 * `latest` meaning the maximum. A malformed value is a 400 and a version outside [min, max] a 406, as in Nova.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { BrumeError, badRequest } from '../../shared/errors.ts';
import type { AppEnv } from '../api/env.ts';

/** A parsed microversion. */
export interface Microversion {
  major: number;
  minor: number;
}

export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.79';
const MIN: Microversion = { major: 2, minor: 1 };
const MAX: Microversion = { major: 2, minor: 79 };

/** Parses `X.Y` (or `latest`); throws a 400 for anything else. */
export function parseVersion(raw: string): Microversion {
  const v = raw.trim().toLowerCase();
  if (v === 'latest') return MAX;
  const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(v);
  if (!m) {
    throw badRequest(
      'compute.invalid_version',
      `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`,
    );
  }
  return { major: Number(m[1]), minor: Number(m[2]) };
}

function cmp(a: Microversion, b: Microversion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** The requested version from the request headers (2.1 when none is sent). */
export function requestedVersion(headers: { get(name: string): string | null | undefined }): Microversion {
  let raw: string | undefined;
  const std = headers.get('openstack-api-version');
  if (std) {
    for (const part of std.split(',')) {
      const [service, value] = part.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === 'compute' && value) raw = value;
    }
  }
  if (raw === undefined) raw = headers.get('x-openstack-nova-api-version') ?? undefined;
  if (raw === undefined) return MIN;
  const v = parseVersion(raw);
  if (cmp(v, MIN) < 0 || cmp(v, MAX) > 0) {
    throw new BrumeError(
      'not_acceptable',
      'compute.version_not_supported',
      `Version ${v.major}.${v.minor} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
    );
  }
  return v;
}

/** Formats a version as `X.Y`. */
export function formatVersion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

const versions = new WeakMap<Request, Microversion>();

/** Parses the request's microversion and echoes it (with `Vary`) on the response, errors included. */
export function microversion(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let v = MIN;
    try {
      v = requestedVersion(c.req.raw.headers);
      versions.set(c.req.raw, v);
    } finally {
      const s = formatVersion(v);
      c.header('OpenStack-API-Version', `compute ${s}`);
      c.header('X-OpenStack-Nova-API-Version', s);
      c.header('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
    }
    await next();
    // Error responses are built by onError after this middleware; make sure the headers survive.
    if (!c.res.headers.has('OpenStack-API-Version')) {
      c.res.headers.set('OpenStack-API-Version', `compute ${formatVersion(v)}`);
      c.res.headers.set('X-OpenStack-Nova-API-Version', formatVersion(v));
      c.res.headers.set('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
    }
  };
}

/** The request's microversion (2.1 when the middleware did not run). */
export function versionOf(c: Context<AppEnv>): Microversion {
  return versions.get(c.req.raw) ?? MIN;
}

/** True when the request's microversion is at least `minor` (major 2). */
export function atLeast(c: Context<AppEnv>, minor: number): boolean {
  return versionOf(c).minor >= minor;
}
