import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogChange, CatalogStore } from '../../shared/ports/catalog-store.ts';
import { memoryCatalogStore } from '../../shared/testing/memory-catalog-store.ts';
import type { AppEnv } from '../api/env.ts';
import type { IdentityService } from '../services.ts';
import { authFor, fakeTokens, manualClock, mountForTest, testConfig, testDeps } from '../testing/deps.ts';
import { createImage } from './index.ts';

type FetchFn = (url: string, init: RequestInit) => Promise<Response>;
const TOKEN = 'tok-alice';
const dirs: string[] = [];
const stops: Array<() => Promise<void> | undefined> = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** One site: its own data dir and database, the shared catalog, `fetch` for its peers. */
async function site(id: string, catalog: CatalogStore, fetch?: FetchFn) {
  const dataDir = await mkdtemp(join(tmpdir(), `brume-remote-${id}-`));
  dirs.push(dataDir);
  const deps = await testDeps({ catalog, clock: manualClock(), config: testConfig({ site: id, dataDir }) });
  const tokens = fakeTokens();
  tokens.add(authFor({ token: TOKEN, userId: 'alice', projectId: 'p1' }));
  const identity: IdentityService = { tokens, bootstrap: async () => {} };
  const image = await createImage(deps, { identity, ...(fetch ? { fetch } : {}) });
  await image.start?.();
  stops.push(() => image.stop?.());
  const app: Hono<AppEnv> = mountForTest(deps, '/image', image.app);
  await catalog.put('sites', { id, name: id, region: 'r', url: `http://${id}.test`, created_at: 0, last_seen: 0 });
  const req = (method: string, path: string, init: RequestInit = {}) =>
    app.request(`/image${path}`, { method, ...init, headers: { 'X-Auth-Token': TOKEN, ...init.headers } });
  return { app, req, dataDir };
}

type Site = Awaited<ReturnType<typeof site>>;

/** Routes `http://<id>.test/…` to the app of site `<id>`; `tamper` may rewrite a peer's answer. */
function router(sites: Map<string, Site>, log: string[], tamper?: (res: Response, n: number) => Response): FetchFn {
  let n = 0;
  return async (url, init) => {
    const u = new URL(url);
    const target = sites.get(u.hostname.replace(/\.test$/, ''));
    const headers = new Headers(init.headers);
    log.push(`${u.hostname} ${headers.get('range') ?? 'all'}`);
    if (!target) throw new TypeError('fetch failed: connection refused');
    const res = await target.app.request(u.pathname, init);
    return tamper ? tamper(res, n++) : res;
  };
}

/** A response whose body delivers `keep` bytes then fails like a connection closed mid-body. */
function cutAfter(res: Response, keep: number): Response {
  const reader = res.body?.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(c) {
      const r = await reader?.read();
      if (!r || r.done) return c.close();
      const room = keep - sent;
      if (room <= 0) return c.error(new Error('socket closed'));
      c.enqueue(r.value.subarray(0, room));
      sent += Math.min(room, r.value.byteLength);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

async function uploadAt(a: Site, bytes: Uint8Array): Promise<string> {
  const created = await a.req('POST', '/v2/images', {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'img', disk_format: 'raw', container_format: 'bare' }),
  });
  const { id } = (await created.json()) as { id: string };
  const up = await a.req('PUT', `/v2/images/${id}/file`, {
    headers: { 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
  expect(up.status).toBe(204);
  return id;
}

function payload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) % 251;
  return out;
}

const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));

async function setup(tamper?: (res: Response, n: number) => Response) {
  const catalog = memoryCatalogStore();
  const sites = new Map<string, Site>();
  const log: string[] = [];
  const a = await site('a', catalog);
  // B sees the shared store's changes as merged from another site (what the replicated catalog reports).
  const asRemote = new Proxy(catalog, {
    get(target, prop) {
      if (prop === 'subscribe') {
        return (l: (c: CatalogChange) => void) => target.subscribe((c) => l({ ...c, origin: 'remote' }));
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const b = await site('b', asRemote, router(sites, log, tamper));
  sites.set('a', a);
  sites.set('b', b);
  return { catalog, a, b, log };
}

describe('image bytes across sites', () => {
  it('downloads at B an image uploaded at A, byte-identical, and lists B in locations', async () => {
    const { catalog, a, b, log } = await setup();
    const bytes = payload(300_000);
    const id = await uploadAt(a, bytes);
    const [r1, r2] = await Promise.all([b.req('GET', `/v2/images/${id}/file`), b.req('GET', `/v2/images/${id}/file`)]);
    expect(r1.status).toBe(200);
    expect(new Uint8Array(await r1.arrayBuffer())).toEqual(bytes);
    expect(new Uint8Array(await r2.arrayBuffer())).toEqual(bytes);
    expect(log).toEqual(['a.test all']); // concurrent downloads shared one transfer
    expect(catalog.get('images', id)?.locations).toEqual(['a', 'b']);
    const again = await b.req('GET', `/v2/images/${id}/file`, { headers: { Range: 'bytes=10-19' } });
    expect(again.status).toBe(206);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    expect(log).toHaveLength(1);
    expect(await readdir(join(b.dataDir, 'images'))).toEqual([id]);

    expect((await a.req('DELETE', `/v2/images/${id}`)).status).toBe(204); // deleted at A: B drops its copy
    const left = async () => readdir(join(b.dataDir, 'images'));
    for (let i = 0; i < 50 && (await left()).length > 0; i++) await new Promise((ok) => setImmediate(ok));
    expect(await left()).toEqual([]);
  });

  it('resumes an interrupted transfer with a Range request', async () => {
    const { a, b, log } = await setup((res, n) => (n === 0 ? cutAfter(res, 100_000) : res));
    const bytes = payload(250_000);
    const id = await uploadAt(a, bytes);
    const r = await b.req('GET', `/v2/images/${id}/file`);
    expect(r.status).toBe(200);
    const got = new Uint8Array(await r.arrayBuffer());
    expect(createHash('sha512').update(got).digest('hex')).toBe(createHash('sha512').update(bytes).digest('hex'));
    expect(log).toEqual(['a.test all', 'a.test bytes=100000-']);
  });

  it('rejects bytes that fail verification and caches nothing', async () => {
    const { catalog, a, b } = await setup((res) => {
      const corrupt = async () => {
        const buf = new Uint8Array(await res.arrayBuffer());
        buf[5] = (buf[5] ?? 0) ^ 0xff;
        return buf;
      };
      const body = new ReadableStream<Uint8Array>({
        async start(c) {
          c.enqueue(await corrupt());
          c.close();
        },
      });
      return new Response(body, {
        status: res.status,
        headers: res.headers,
      });
    });
    const id = await uploadAt(a, payload(5000));
    const r = await b.req('GET', `/v2/images/${id}/file`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain(id);
    expect(catalog.get('images', id)?.locations).toEqual(['a']);
    expect(await readdir(join(b.dataDir, 'images'))).toEqual([]);
  });

  it('tries the next holder when one is unreachable; 503 naming the image when none answers', async () => {
    const { catalog, a, b, log } = await setup();
    const id = await uploadAt(a, payload(1000));
    const img = catalog.get('images', id);
    if (!img) throw new Error('no image');
    await catalog.put('sites', { id: 'c', name: 'c', region: 'r', url: 'http://c.test', created_at: 0, last_seen: 0 });
    await catalog.put('images', { ...img, locations: ['c', 'a'] });
    const ok = await b.req('GET', `/v2/images/${id}/file`);
    expect(ok.status).toBe(200);
    expect(log).toEqual(['c.test all', 'a.test all']);

    const id2 = await uploadAt(a, payload(10));
    const img2 = catalog.get('images', id2);
    if (!img2) throw new Error('no image');
    await catalog.put('images', { ...img2, locations: ['c'] });
    const none = await b.req('GET', `/v2/images/${id2}/file`);
    expect(none.status).toBe(503);
    expect(await none.text()).toContain(id2);
  });

  it('a peer asking with the no-relay header gets 503 rather than a fetch in turn', async () => {
    const { a, b, log } = await setup();
    const id = await uploadAt(a, payload(10));
    await rm(join(a.dataDir, 'images', id)); // A lost its copy; only B's catalog view says A has it
    const r = await a.req('GET', `/v2/images/${id}/file`, { headers: { 'x-brume-image-no-relay': '1' } });
    expect(r.status).toBe(204); // A is the only holder: nothing remote to fetch
    const viaB = await b.req('GET', `/v2/images/${id}/file`);
    expect(viaB.status).toBe(503);
    expect(log).toEqual(['a.test all']);
  });

  it('over real HTTP on loopback: a peer closing the connection mid-body is resumed', async () => {
    const catalog = memoryCatalogStore();
    const a = await site('a', catalog);
    const b = await site('b', catalog); // default fetch
    const seen: string[] = [];
    // A's API behind a socket that is closed mid-body on the first request.
    const server = createServer(async (req, res) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      seen.push(headers.range ?? 'all');
      const r = await a.app.request(req.url ?? '/', { headers });
      res.writeHead(r.status, Object.fromEntries(r.headers));
      const body = new Uint8Array(await r.arrayBuffer());
      if (seen.length === 1) {
        // 4 MB, then FIN once flow control says the client took most of it (bytes still queued in the client's
        // stream when the cut is seen are lost, so the cut must come after the client consumed some).
        if (!res.write(body.subarray(0, 4_000_000))) await new Promise((ok) => res.once('drain', ok));
        res.socket?.end();
      } else res.end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const { port } = server.address() as AddressInfo;
      await catalog.put('sites', {
        id: 'a',
        name: 'a',
        region: 'r',
        url: `http://127.0.0.1:${port}`,
        created_at: 0,
        last_seen: 0,
      });
      const bytes = payload(6_000_000);
      const id = await uploadAt(a, bytes);
      const r = await b.req('GET', `/v2/images/${id}/file`);
      expect(r.status).toBe(200);
      expect(same(new Uint8Array(await r.arrayBuffer()), bytes)).toBe(true);
      expect(seen[0]).toBe('all');
      expect(seen[1]).toMatch(/^bytes=\d+-$/);
      expect(catalog.get('images', id)?.locations).toEqual(['a', 'b']);
    } finally {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  });
});
