/**
 * How resources reach OpenStack APIs: one client per site, speaking HTTP to that site's Nova/Neutron/Cinder/Glance
 * with the caller's token. The local site is called in-process (its Hono app), other sites over HTTP; the code
 * path is the same.
 */
import { BrumeError } from '../../shared/errors.ts';

/** Services resources use, with their path under a site's public URL (`{project}` substituted). */
const SERVICE_PATHS = {
  compute: '/compute/v2.1',
  network: '/network/v2.0',
  volume: '/volume/v3/{project}',
  image: '/image/v2',
  orchestration: '/orchestration/v1/{project}',
} as const;

/** A service resources call. */
export type CloudService = keyof typeof SERVICE_PATHS;

/** An OpenStack API error as seen by a resource. */
export class CloudError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'CloudError';
    this.status = status;
  }
}

/** True for a 404 (deletes treat it as done). */
export function isNotFound(err: unknown): boolean {
  return err instanceof CloudError && err.status === 404;
}

/** Calls a site's APIs. */
export interface CloudClient {
  /** The site this client reaches (its id). */
  readonly site: string;
  readonly projectId: string;
  /** The site's base URL and the token calls carry (a wait condition hands them to a server as its signal URL). */
  readonly baseUrl: string;
  readonly token: string;
  /** Sends a JSON request; resolves with the parsed body (null when empty); throws a CloudError on 4xx/5xx. */
  call<T = Record<string, unknown>>(service: CloudService, method: string, path: string, body?: unknown): Promise<T>;
}

/** Sends a request to a site (in-process for the local one, `fetch` for others). */
export type Dispatch = (request: Request) => Promise<Response>;

/** The message of an OpenStack error body, whatever the service's shape. */
function errorMessage(body: unknown, fallback: string): string {
  if (typeof body !== 'object' || body === null) return fallback;
  const b = body as Record<string, unknown>;
  if (typeof b.message === 'string') return b.message;
  for (const v of Object.values(b)) {
    if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string') {
      return (v as { message: string }).message;
    }
  }
  return fallback;
}

/** A client for `site` at `baseUrl`, authenticating with `token`. */
export function cloudClient(input: {
  site: string;
  baseUrl: string;
  token: string;
  projectId: string;
  dispatch: Dispatch;
  /** A token valid now (the engine's refresher); each call asks it, `token` follows its last answer. */
  freshToken?: () => Promise<string>;
}): CloudClient {
  const { site, baseUrl, projectId, dispatch, freshToken } = input;
  let current = input.token;
  return {
    site,
    projectId,
    baseUrl,
    get token() {
      return current;
    },
    async call<T>(service: CloudService, method: string, path: string, body?: unknown): Promise<T> {
      if (freshToken) current = await freshToken();
      const token = current;
      const url = `${baseUrl.replace(/\/$/, '')}${SERVICE_PATHS[service].replace('{project}', projectId)}${path}`;
      let res: Response;
      try {
        res = await dispatch(
          new Request(url, {
            method,
            headers: {
              'x-auth-token': token,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
        );
      } catch (err) {
        throw new BrumeError(
          'unavailable',
          'orchestration.site_unreachable',
          `site ${site} is unreachable: ${err instanceof Error ? err.message : String(err)}`,
          { type: 'SiteUnreachable' },
        );
      }
      const text = await res.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.status >= 400)
        throw new CloudError(res.status, errorMessage(parsed, `${method} ${path}: HTTP ${res.status}`));
      return parsed as T;
    },
  };
}
