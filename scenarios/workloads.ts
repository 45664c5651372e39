/**
 * The workload operations, all through each site's public OpenStack API (the same code for every fidelity level).
 * Each records its latency as the client saw it and acknowledges the writes that must survive the run.
 */
import type { Recorder } from './recorder.ts';
import type { WorkloadSpec } from './schema.ts';
import type { SiteRequest, SiteResponse, World } from './world.ts';

/** What the operations need besides the world: per-site admin tokens, boot parameters, partition state. */
export interface WorkloadContext {
  world: World;
  rec: Recorder;
  /** An admin token (project `admin`) valid at every site, issued at each site. */
  adminToken: Map<string, string>;
  /** A token scoped to the quota/boot project at each site. */
  projectToken: Map<string, string>;
  flavorId?: string;
  imageId?: string;
  /** Sites this site can reach now (itself included). */
  reachable(site: string): string[];
  partitioned(site: string): boolean;
  /** Longest wait of a cross-site operation (ms of the world's time). */
  remoteTimeoutMs: number;
  /** Retry period of a cross-site wait. */
  retryMs: number;
}

/** Times one request; records it as `op` (ok when the status is one of `want`). */
export async function timed(
  ctx: WorkloadContext,
  site: string,
  op: string,
  req: SiteRequest,
  want: number[],
): Promise<SiteResponse> {
  const start = ctx.world.now();
  const partitioned = ctx.partitioned(site);
  const res = await ctx.world.request(site, req);
  const latencyMs = ctx.world.now() - start + ctx.world.clientLatency(site);
  ctx.rec.op({ t: start, site, op, ok: want.includes(res.status), latencyMs, partitioned });
  return res;
}

/** Retries `req` at `site` until `want` or the timeout; records the whole wait as one operation. */
async function until(
  ctx: WorkloadContext,
  site: string,
  op: string,
  req: SiteRequest,
  want: number[],
): Promise<boolean> {
  const start = ctx.world.now();
  const partitioned = ctx.partitioned(site);
  for (;;) {
    const res = await ctx.world.request(site, req);
    const elapsed = ctx.world.now() - start;
    if (want.includes(res.status) || elapsed >= ctx.remoteTimeoutMs) {
      const ok = want.includes(res.status);
      ctx.rec.op({ t: start, site, op, ok, latencyMs: elapsed + ctx.world.clientLatency(site), partitioned });
      return ok;
    }
    await ctx.world.sleep(ctx.retryMs);
  }
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** A peer of `site` it can reach now, chosen by `k` (round robin), or undefined when it is alone. */
function peerOf(ctx: WorkloadContext, site: string, k: number): string | undefined {
  const peers = ctx.reachable(site).filter((p) => p !== site && ctx.world.isUp(p));
  return peers.length === 0 ? undefined : peers[k % peers.length];
}

/** identity-churn: create a user, issue its token, validate it here and at a peer (waits for replication). */
async function identityChurn(ctx: WorkloadContext, w: WorkloadSpec, site: string, k: number): Promise<void> {
  const admin = ctx.adminToken.get(site);
  const name = w.names === 'shared' ? `shared-user-${k}` : `u-${site}-${k}`;
  const created = await timed(
    ctx,
    site,
    'identity.user.create',
    {
      method: 'POST',
      path: '/v3/users',
      token: admin,
      body: { user: { name, password: 'pw-churn', domain_id: 'default' } },
    },
    [201],
  );
  const id = obj(obj(created.body).user).id;
  if (created.status !== 201 || typeof id !== 'string') return;
  ctx.rec.write({ kind: 'user', id, site, t: ctx.world.now() });
  const issued = await timed(
    ctx,
    site,
    'identity.token.issue',
    {
      method: 'POST',
      path: '/v3/auth/tokens',
      body: { auth: { identity: { methods: ['password'], password: { user: { id, password: 'pw-churn' } } } } },
    },
    [201],
  );
  const token = issued.headers.get('x-subject-token');
  if (!token) return;
  const validate = (at: string): SiteRequest => ({
    path: '/v3/auth/tokens',
    token: ctx.adminToken.get(at),
    headers: { 'X-Subject-Token': token },
  });
  await timed(ctx, site, 'identity.token.validate.local', validate(site), [200]);
  const peer = peerOf(ctx, site, k);
  if (peer) await until(ctx, peer, 'identity.token.validate.remote', validate(peer), [200]);
}

const READS: { op: string; path: string }[] = [
  { op: 'read.projects', path: '/v3/projects' },
  { op: 'read.flavors', path: '/compute/v2.1/flavors' },
  { op: 'read.servers', path: '/compute/v2.1/servers' },
  { op: 'read.images', path: '/image/v2/images' },
  { op: 'read.networks', path: '/network/v2.0/networks' },
];

/** api-read-mix: the next read of a fixed rotation. */
async function readMix(ctx: WorkloadContext, site: string, k: number): Promise<void> {
  const r = READS[k % READS.length] ?? READS[0];
  if (!r) return;
  await timed(ctx, site, r.op, { path: r.path, token: ctx.adminToken.get(site) }, [200]);
}

/** boot-storm: boot one server (no network) in the scenario's project; acknowledged at 202. */
async function bootOne(ctx: WorkloadContext, w: WorkloadSpec, site: string, k: number): Promise<void> {
  const res = await timed(
    ctx,
    site,
    'compute.server.create',
    {
      method: 'POST',
      path: '/compute/v2.1/servers',
      token: ctx.projectToken.get(site),
      headers: { 'X-OpenStack-Nova-API-Version': '2.37' },
      body: {
        server: {
          name: `storm-${site}-${k}`,
          flavorRef: ctx.flavorId ?? w.flavor,
          imageRef: ctx.imageId,
          networks: 'none',
        },
      },
    },
    // A refusal over quota is the API working as it should (quota-under-partition counts it apart).
    [202, 403],
  );
  const id = obj(obj(res.body).server).id;
  if (res.status === 202 && typeof id === 'string') ctx.rec.write({ kind: 'server', id, site, t: ctx.world.now() });
}

/** image-distribution: register an image here, then wait until a peer lists it. */
async function imageOne(ctx: WorkloadContext, site: string, k: number): Promise<void> {
  const res = await timed(
    ctx,
    site,
    'image.create',
    {
      method: 'POST',
      path: '/image/v2/images',
      token: ctx.adminToken.get(site),
      body: { name: `img-${site}-${k}`, disk_format: 'raw', container_format: 'bare', visibility: 'public' },
    },
    [201],
  );
  const id = obj(res.body).id;
  if (res.status !== 201 || typeof id !== 'string') return;
  ctx.rec.write({ kind: 'image', id, site, t: ctx.world.now() });
  const peer = peerOf(ctx, site, k);
  if (peer) {
    await until(
      ctx,
      peer,
      'image.visible.remote',
      { path: `/image/v2/images/${id}`, token: ctx.adminToken.get(peer) },
      [200],
    );
  }
}

/** Runs operation number `k` of workload `w` at `site`. */
export function runOp(ctx: WorkloadContext, w: WorkloadSpec, site: string, k: number): Promise<void> {
  switch (w.kind) {
    case 'identity-churn':
      return identityChurn(ctx, w, site, k);
    case 'api-read-mix':
      return readMix(ctx, site, k);
    case 'boot-storm':
      return bootOne(ctx, w, site, k);
    case 'image-distribution':
      return imageOne(ctx, site, k);
  }
}
