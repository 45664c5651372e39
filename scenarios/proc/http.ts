/** HTTP requests to a site, over TCP (fetch) or a unix socket (node:http), as one small response shape. */
import { request as httpRequest } from 'node:http';
import type { SiteRequest, SiteResponse } from '../world.ts';

const parse = (text: string): unknown => {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
};

/** Sends `req` to `base` (http://host:port) or through `socketPath`; status 0 when unreachable. */
export async function siteRequest(base: string, req: SiteRequest, socketPath?: string): Promise<SiteResponse> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) headers['Content-Type'] = 'application/json';
  if (req.raw !== undefined) headers['Content-Type'] = 'application/octet-stream';
  if (req.token) headers['X-Auth-Token'] = req.token;
  const body = req.raw ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
  const unreachable: SiteResponse = { status: 0, body: null, headers: new Headers() };
  if (!socketPath) {
    try {
      const res = await fetch(`${base}${req.path}`, {
        method: req.method ?? 'GET',
        headers,
        body,
        signal: AbortSignal.timeout(15_000),
      });
      return { status: res.status, body: parse(await res.text()), headers: res.headers };
    } catch {
      return unreachable;
    }
  }
  return new Promise((resolve) => {
    const r = httpRequest(
      {
        socketPath,
        path: req.path,
        method: req.method ?? 'GET',
        headers: { ...headers, Host: new URL(base).host },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, body: parse(Buffer.concat(chunks).toString()), headers: h });
        });
        res.on('error', () => resolve(unreachable));
      },
    );
    r.on('error', () => resolve(unreachable));
    r.on('timeout', () => r.destroy());
    r.end(body === undefined ? undefined : Buffer.from(body));
  });
}
