/** In-process harness for the image routes: a temp data dir, fake tokens for a few callers, a request helper. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImage } from '../../image/index.ts';
import type { IdentityService, SiteDeps } from '../../services.ts';
import { authFor, fakeTokens, type ManualClock, mountForTest, testConfig, testDeps } from '../../testing/deps.ts';

/** Tokens of the test callers: admin, members of p1, p2 and p3, a reader of p1. */
export const T = {
  admin: 'tok-admin',
  alice: 'tok-alice',
  bob: 'tok-bob',
  carol: 'tok-carol',
  reader: 'tok-reader',
} as const;

/** Options of a request made through the harness. */
export interface ReqOptions {
  token?: string | null;
  json?: unknown;
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
}

/** A mounted image module over fresh deps. */
export async function imageHarness(opts: { maxImageBytes?: number } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'brume-image-'));
  const deps: SiteDeps & { clock: ManualClock } = await testDeps({ config: testConfig({ dataDir }) });
  const tokens = fakeTokens();
  tokens.add(authFor({ token: T.admin, userId: 'admin', projectId: 'admin', roles: ['admin'] }));
  tokens.add(authFor({ token: T.alice, userId: 'alice', projectId: 'p1' }));
  tokens.add(authFor({ token: T.bob, userId: 'bob', projectId: 'p2' }));
  tokens.add(authFor({ token: T.carol, userId: 'carol', projectId: 'p3' }));
  tokens.add(authFor({ token: T.reader, userId: 'rita', projectId: 'p1', roles: ['reader'] }));
  const identity: IdentityService = { tokens, bootstrap: async () => {} };
  const image = await createImage(deps, { identity, ...opts });
  const app = mountForTest(deps, '/image', image.app);

  async function req(method: string, path: string, o: ReqOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? T.alice : o.token;
    if (token !== null) headers['X-Auth-Token'] = token;
    let body: string | Uint8Array | ReadableStream<Uint8Array> | undefined = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['Content-Type'] ??= 'application/json';
    }
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (body !== undefined) {
      init.body = body as NonNullable<RequestInit['body']>;
      if (body instanceof ReadableStream) init.duplex = 'half';
    }
    return app.request(`/image${path}`, init);
  }

  /** Creates an image (default: raw/bare, named) as `token` and returns its document. */
  async function create(fields: Record<string, unknown> = {}, token: string = T.alice) {
    const res = await req('POST', '/v2/images', {
      token,
      json: { name: 'img', disk_format: 'raw', container_format: 'bare', ...fields },
    });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown> & { id: string };
  }

  /** Uploads bytes to an image. */
  function upload(id: string, bytes: Uint8Array, token: string = T.alice) {
    return req('PUT', `/v2/images/${id}/file`, {
      token,
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  }

  return {
    deps,
    image,
    app,
    dataDir,
    req,
    create,
    upload,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** The type of the harness. */
export type ImageHarness = Awaited<ReturnType<typeof imageHarness>>;
