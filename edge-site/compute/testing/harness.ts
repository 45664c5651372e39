/** A compute module mounted like the site mounts it, with fakes of every service and three callers. */

import type { HostState, IdentityService } from '../../services.ts';
import { authFor, fakeTokens, mountForTest, testDeps } from '../../testing/deps.ts';
import { seedDefaultFlavors } from '../flavors.ts';
import { createCompute } from '../index.ts';
import { fakeFleet, fakeImages, fakeNetwork, fakePlacement, testHost, testImage } from './fakes.ts';

export const IMAGE_ID = testImage().id;

/** Options of {@link computeHarness}. */
export interface HarnessOptions {
  hosts?: HostState[];
  /** Call start() (subscribe to fleet events, resume). Default true. */
  start?: boolean;
  deps?: Awaited<ReturnType<typeof testDeps>>;
}

/** Builds the harness: `req(method, path, {as, body, version})` calls `/compute/v2.1<path>`. */
export async function computeHarness(opts: HarnessOptions = {}) {
  const deps = opts.deps ?? (await testDeps());
  const tokens = fakeTokens();
  const member = tokens.add(authFor());
  const reader = tokens.add(authFor({ userId: 'u3', roles: ['reader'], token: 'reader' }));
  const other = tokens.add(authFor({ userId: 'u2', projectId: 'p2' }));
  const admin = tokens.add(authFor({ userId: 'admin', projectId: 'admin', roles: ['admin'] }));
  const identity: IdentityService = { tokens, bootstrap: async () => {} };
  const images = fakeImages();
  const network = fakeNetwork();
  const fleet = fakeFleet(opts.hosts ?? [testHost('host1', 1), testHost('host2', 2)]);
  const placement = fakePlacement(fleet);
  await seedDefaultFlavors(deps.catalog, deps.clock);
  const compute = await createCompute(deps, { identity, image: images, network, fleet, placement });
  if (opts.start !== false) await compute.start?.();
  const app = mountForTest(deps, '/compute', compute.app);

  const req = async (
    method: string,
    path: string,
    init: { as?: string; body?: unknown; version?: string; raw?: string } = {},
  ) => {
    const headers: Record<string, string> = { 'X-Auth-Token': init.as ?? member };
    if (init.version) headers['OpenStack-API-Version'] = `compute ${init.version}`;
    if (init.body !== undefined || init.raw !== undefined) headers['Content-Type'] = 'application/json';
    const res = await app.request(`/compute/v2.1${path}`, {
      method,
      headers,
      ...(init.raw !== undefined
        ? { body: init.raw }
        : init.body !== undefined
          ? { body: JSON.stringify(init.body) }
          : {}),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
    const json: any = text ? JSON.parse(text) : undefined;
    return { status: res.status, json, headers: res.headers };
  };

  /** Creates a server and waits for its build to finish; returns its id. */
  const boot = async (name = 'vm1', extra: Record<string, unknown> = {}, as = member) => {
    const r = await req('POST', '/servers', {
      as,
      body: { server: { name, imageRef: IMAGE_ID, flavorRef: '1', ...extra } },
    });
    if (r.status !== 202) throw new Error(`boot failed: ${r.status} ${JSON.stringify(r.json)}`);
    await compute.settled();
    return r.json.server.id as string;
  };

  /** Lets pending I/O run until `cond` holds (no timers: bounded by turns of the event loop). */
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 1000 && !cond(); i++) await new Promise<void>((r) => setImmediate(r));
    if (!cond()) throw new Error('condition never held');
  };

  return {
    until,
    deps,
    app,
    compute,
    tokens,
    member,
    reader,
    other,
    admin,
    images,
    network,
    fleet,
    placement,
    req,
    boot,
  };
}
