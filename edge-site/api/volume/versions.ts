/**
 * Cinder's version documents (no auth) and microversions: `OpenStack-API-Version: volume 3.x`, echoed on every
 * response. A malformed value is a 400, one outside [3.0, 3.60] a 406.
 */
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import type { SiteDeps } from '../../services.ts';
import { volumeBase } from '../../volume/context.ts';
import type { AppEnv } from '../env.ts';

export const MIN_VERSION = '3.0';
export const MAX_VERSION = '3.60';

/** Parses the requested volume microversion (3.0 when none). */
export function requestedVolumeVersion(header: string | undefined): string {
  let raw: string | undefined;
  for (const part of (header ?? '').split(',')) {
    const [service, value] = part.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === 'volume' && value) raw = value;
  }
  if (raw === undefined) return MIN_VERSION;
  if (raw.toLowerCase() === 'latest') return MAX_VERSION;
  const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(raw.trim());
  if (!m) throw badRequest('volume.invalid_version', `Invalid API version: ${raw}.`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 3 || minor > 60) {
    throw new BrumeError(
      'not_acceptable',
      'volume.version_not_supported',
      `Version ${raw} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
    );
  }
  return `${major}.${minor}`;
}

/** Sets the negotiated version header on every response of the v3 API. */
export function volumeMicroversion(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const v = requestedVolumeVersion(c.req.header('openstack-api-version'));
    await next();
    c.res.headers.set('OpenStack-API-Version', `volume ${v}`);
    c.res.headers.append('Vary', 'OpenStack-API-Version');
  };
}

function versionList(deps: SiteDeps) {
  return [
    {
      id: 'v3.0',
      status: 'CURRENT',
      version: MAX_VERSION,
      min_version: MIN_VERSION,
      updated: '2023-08-31T00:00:00Z',
      links: [
        { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
        { rel: 'self', href: `${volumeBase(deps.config)}/v3/` },
      ],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
    },
  ];
}

/** `GET /volume[/]` (300) and `GET /volume/v3[/]` (200). */
export function versionRoutes(deps: SiteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const all = (c: Context<AppEnv>) => c.json({ versions: versionList(deps) }, 300);
  const v3 = (c: Context<AppEnv>) => c.json({ versions: versionList(deps) }, 200);
  app.get('/', all);
  app.use('/*', async (c, next) => {
    const p = c.req.path.replace(/^\/volume/, '');
    if (c.req.method === 'GET' && (p === '/' || p === '')) return all(c);
    if (c.req.method === 'GET' && (p === '/v3' || p === '/v3/')) return v3(c);
    await next();
  });
  return app;
}
