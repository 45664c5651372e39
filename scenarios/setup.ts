/**
 * Before time 0, through the public API: an admin token at every site; when the scenario boots servers or sets a
 * quota, a project with the admin user in it, a token scoped to it at every site, the quota, a bootable image.
 */
import type { Scenario } from './schema.ts';
import type { World } from './world.ts';

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** What setup produced. */
export interface Setup {
  adminToken: Map<string, string>;
  projectToken: Map<string, string>;
  projectId?: string;
  flavorId?: string;
  imageId?: string;
  /** Whether `/federation/v1/quotas/{project}` answered (the federation's quota escrow is present). */
  federatedQuota: boolean;
}

async function retry<T>(
  advance: (ms: number) => Promise<void>,
  what: string,
  fn: () => Promise<T | undefined>,
  tries = 300,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await advance(100);
  }
  throw new Error(`setup: ${what} did not succeed`);
}

/**
 * Issues a password token for admin at `site`, scoped to project `project` (by name). The harness never reads the
 * service catalog, so it asks without one (`?nocatalog`, as Keystone allows): at 1,000 sites each catalog lists
 * ~21k endpoints, and setup issues a token at every site. Workload tokens are asked as a client asks (workloads.ts).
 */
async function token(world: World, site: string, project: string): Promise<string | undefined> {
  const res = await world.request(site, {
    method: 'POST',
    path: '/v3/auth/tokens?nocatalog',
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: world.adminPassword } },
        },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    },
  });
  return res.status === 201 ? (res.headers.get('x-subject-token') ?? undefined) : undefined;
}

/** Runs the setup; `advance` lets the world's time move while waiting for replication. */
export async function setupScenario(world: World, s: Scenario, advance: (ms: number) => Promise<void>): Promise<Setup> {
  const sites = s.sites.map((x) => x.name);
  const first = sites[0] as string;
  const adminToken = new Map<string, string>();
  for (const site of sites) {
    adminToken.set(site, await retry(advance, `admin token at ${site}`, () => token(world, site, 'admin')));
  }
  const out: Setup = { adminToken, projectToken: new Map(adminToken), federatedQuota: false };
  const needsProject = s.quota !== undefined || s.workload.some((w) => w.kind === 'boot-storm');
  if (!needsProject) return out;

  const admin = adminToken.get(first);
  const projectName = s.quota?.project ?? 'demo';
  const created = await world.request(first, {
    method: 'POST',
    path: '/v3/projects',
    token: admin,
    body: { project: { name: projectName, domain_id: 'default' } },
  });
  const pid = obj(obj(created.body).project).id;
  if (typeof pid !== 'string') throw new Error(`setup: project ${projectName}: ${created.status}`);
  out.projectId = pid;
  const me = await world.request(first, {
    path: '/v3/auth/tokens?nocatalog',
    token: admin,
    headers: { 'X-Subject-Token': admin ?? '' },
  });
  const uid = obj(obj(obj(me.body).token).user).id;
  const roles = await world.request(first, { path: '/v3/roles?name=admin', token: admin });
  const rid = obj((obj(roles.body).roles as unknown[] | undefined)?.[0]).id;
  await world.request(first, {
    method: 'PUT',
    path: `/v3/projects/${pid}/users/${String(uid)}/roles/${String(rid)}`,
    token: admin,
  });
  for (const site of sites) {
    const t = await retry(advance, `project token at ${site}`, async () => {
      return token(world, site, projectName);
    });
    out.projectToken.set(site, t);
  }

  const fq = await world.request(first, { path: `/federation/v1/quotas/${pid}`, token: admin });
  out.federatedQuota = fq.status === 200;
  if (s.quota) {
    const body = { quota_set: { instances: s.quota.instances } };
    // With the federation's escrow the limit is set once; otherwise each site holds its own Nova quota.
    for (const site of out.federatedQuota ? [first] : sites) {
      await world.request(site, {
        method: 'PUT',
        path: `/compute/v2.1/os-quota-sets/${pid}`,
        token: adminToken.get(site),
        body,
      });
    }
  }

  const flavors = await world.request(first, { path: '/compute/v2.1/flavors', token: admin });
  const wanted = s.workload.find((w) => w.kind === 'boot-storm')?.flavor ?? 'm1.tiny';
  const list = (obj(flavors.body).flavors as { id: string; name: string }[] | undefined) ?? [];
  out.flavorId = list.find((f) => f.name === wanted || f.id === wanted)?.id;

  const img = await world.request(first, {
    method: 'POST',
    path: '/image/v2/images',
    token: admin,
    body: { name: 'scenario-image', disk_format: 'raw', container_format: 'bare', visibility: 'public' },
  });
  const iid = obj(img.body).id;
  if (typeof iid === 'string') {
    await world.request(first, {
      method: 'PUT',
      path: `/image/v2/images/${iid}/file`,
      token: admin,
      raw: new Uint8Array(4096),
    });
    out.imageId = iid;
    for (const site of sites) {
      await retry(advance, `image at ${site}`, async () => {
        const r = await world.request(site, { path: `/image/v2/images/${iid}`, token: adminToken.get(site) });
        return r.status === 200 && obj(r.body).status === 'active' ? true : undefined;
      });
    }
  }
  return out;
}
