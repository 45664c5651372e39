import type { Health } from './health.ts';

/** How the global API reaches sites: `fetch` in production, an in-process site's `app.fetch` in tests. */
export type Fetcher = (req: Request) => Promise<Response>;

/** A body sent to a site: read once (replayable to several sites) or, for image bytes, a stream. */
export type SiteBody = ArrayBuffer | ReadableStream<Uint8Array> | null;

/** A site could not be reached (circuit open, connection refused, timeout). A state to report, not a crash. */
export class Unreachable extends Error {
  readonly site: string;
  readonly reason: 'circuit_open' | 'timeout' | 'network';
  constructor(site: string, reason: Unreachable['reason']) {
    super(`site ${site} unreachable (${reason})`);
    this.site = site;
    this.reason = reason;
  }
}

/**
 * Request headers never forwarded: hop-by-hop ones, ones the fetch recomputes, and every header a client could use
 * to spoof identity, origin or scope at a site (Brume's own `X-Brume-*`, `X-Forwarded-*`, `Forwarded`, Cloudflare's).
 */
const STRIPPED =
  /^(x-brume-|x-forwarded-|forwarded$|x-real-ip$|cf-|true-client-ip$|x-client-ip$|host$|connection$|keep-alive$|transfer-encoding$|upgrade$|te$|trailer$|proxy-|content-length$|accept-encoding$)/i;

/** The headers of `req` that may go to a site. */
export function forwardHeaders(req: Request): Headers {
  const h = new Headers();
  for (const [k, v] of req.headers) if (!STRIPPED.test(k)) h.set(k, v);
  return h;
}

/** A request body read once so it can be sent to several sites; image bytes (`/file`, `/stage`) stream instead. */
export async function requestBody(req: Request, path: string): Promise<SiteBody> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.body === null) return null;
  if (/\/(file|stage)$/.test(path)) return req.body;
  return await req.arrayBuffer();
}

/** What {@link send} needs. */
export interface SendOptions {
  fetch: Fetcher;
  health: Health;
  timeoutMs: number;
}

/**
 * Sends one request to the site at `base` through its circuit breaker. Any HTTP answer (even a 5xx) means the site
 * is alive; only a refused connection or a timeout counts as a failure.
 */
export async function send(
  o: SendOptions,
  base: string,
  pathAndQuery: string,
  init: { method: string; headers: Headers; body: SiteBody },
  /** True when the caller already holds the breaker's probe slot. */
  claimed = false,
): Promise<Response> {
  if (!claimed && !o.health.allow(base)) throw new Unreachable(base, 'circuit_open');
  // The timeout covers the wait for the response head only: a long image download is not cut.
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no answer within ${o.timeoutMs} ms`);
      err.name = 'TimeoutError';
      abort.abort(err);
      reject(err);
    }, o.timeoutMs);
  });
  const reqInit: RequestInit & { duplex?: 'half' } = {
    method: init.method,
    headers: init.headers,
    body: init.body,
    redirect: 'manual',
    signal: abort.signal,
  };
  if (init.body instanceof ReadableStream) reqInit.duplex = 'half';
  let res: Response;
  try {
    // Raced as well as aborted: a fetcher that ignores the signal (an in-process site) still times out.
    res = await Promise.race([o.fetch(new Request(`${base}${pathAndQuery}`, reqInit)), timedOut]);
  } catch (err) {
    o.health.failure(base);
    const name = (err as { name?: string })?.name;
    throw new Unreachable(base, name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  o.health.success(base);
  return res;
}

function isJson(res: Response): boolean {
  return /json/i.test(res.headers.get('content-type') ?? '');
}

/** Response headers that no longer describe a re-encoded body. */
function passHeaders(res: Response, rewritten: boolean): Headers {
  const h = new Headers(res.headers);
  h.delete('content-encoding');
  h.delete('transfer-encoding');
  h.delete('connection');
  if (rewritten || res.headers.has('content-encoding')) h.delete('content-length');
  return h;
}

/**
 * A site's response as the global API's: JSON bodies and `Location` have the site's base URL replaced with
 * `toBase` (so links, version documents and pagination point back through the global API); other bodies stream.
 */
export async function relay(
  res: Response,
  fromBase: string,
  toBase: string,
  extra: Record<string, string>,
): Promise<Response> {
  const json = isJson(res) && res.status !== 204 && res.status !== 304;
  const h = passHeaders(res, json);
  const loc = h.get('location');
  if (loc !== null) h.set('location', rebase(loc, fromBase, toBase));
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  if (!json) return new Response(res.body, { status: res.status, statusText: res.statusText, headers: h });
  const text = rebase(await res.text(), fromBase, toBase);
  return new Response(text, { status: res.status, statusText: res.statusText, headers: h });
}

/**
 * Replaces the URL `fromBase` with `toBase` in `text` where it is a whole base (followed by a path, a query, a quote
 * or the end): `http://h:5000` must not rewrite `http://h:50001`.
 */
export function rebase(text: string, fromBase: string, toBase: string): string {
  const escaped = fromBase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`${escaped}(?=[/"?#\\\\]|$)`, 'g'), () => toBase);
}

/** Reads a JSON body, or undefined when it is not JSON. */
export async function jsonOf(res: Response): Promise<unknown> {
  if (!isJson(res)) return undefined;
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}
