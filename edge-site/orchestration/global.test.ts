/**
 * Multi-site stacks through the global API: with `federation.globalUrl` set, a resource naming site b is made at
 * `<global>/r/b/…`; a region the global API cannot reach fails that resource with its 503 naming the region.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGlobalFixture, type GlobalFixture } from '../../federation/global/testing.ts';
import { remoteBase } from './sites.ts';

let g: GlobalFixture | undefined;
afterEach(async () => {
  vi.unstubAllGlobals();
  await g?.close();
  g = undefined;
});

const template = {
  heat_template_version: '2018-08-31',
  resources: {
    here: { type: 'OS::Neutron::Net' },
    there: { type: 'OS::Neutron::Net', metadata: { 'brume:site': 'b' } },
  },
};

/** Two sites behind a global API at http://global.test, site a configured to use it. */
async function setup() {
  g = await createGlobalFixture(['a', 'b']);
  const f = g;
  for (const id of ['a', 'b']) f.fed.site(id).config.federation.globalUrl = 'http://global.test';
  // Sites' outgoing requests: the global API by its URL, sites by theirs (http://<id>.test:5000).
  const direct: string[] = [];
  vi.stubGlobal('fetch', async (input: Request | string, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const host = new URL(req.url).hostname;
    if (host === 'global.test') return f.app.request(req.url, req);
    direct.push(`${req.method} ${req.url}`);
    return f.fed.site(host.replace(/\.test$/, '')).app.request(req);
  });
  const { token } = await f.login();
  const a = f.fed.site('a');
  const who = await a.app.request('http://a.test:5000/v3/auth/tokens', {
    headers: { 'x-auth-token': token, 'x-subject-token': token },
  });
  const project = ((await who.json()) as { token: { project: { id: string } } }).token.project.id;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await a.app.request(`http://a.test:5000/orchestration/v1/${project}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitDone = async (name: string, id: string) => {
    for (let i = 0; i < 1000; i++) {
      const s = (await call('GET', `/stacks/${name}/${id}`)).body.stack;
      if (!s.stack_status.endsWith('IN_PROGRESS')) return s;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('stack still in progress');
  };
  return { f, call, waitDone, direct };
}

describe('stacks through the global API', () => {
  it('creates and deletes site b resources at <global>/r/b, never straight at site b', async () => {
    const { f, call, waitDone, direct } = await setup();
    const created = await call('POST', '/stacks', { stack_name: 'viaglobal', template });
    expect(created.status).toBe(201);
    const s = await waitDone('viaglobal', created.body.stack.id);
    expect(s.stack_status_reason).toBe('Stack CREATE completed successfully');
    const atB = f.calls.filter((c) => c.site === 'b' && c.path.startsWith('/network/v2.0/networks'));
    expect(atB.map((c) => c.method)).toContain('POST');
    expect(direct).toEqual([]);
    const res = await call('GET', `/stacks/viaglobal/${created.body.stack.id}/resources/there`);
    const physical = res.body.resource.physical_resource_id as string;

    expect((await call('DELETE', `/stacks/viaglobal/${created.body.stack.id}`)).status).toBe(204);
    expect((await waitDone('viaglobal', created.body.stack.id)).stack_status).toBe('DELETE_COMPLETE');
    expect(f.calls.some((c) => c.site === 'b' && c.method === 'DELETE' && c.path.includes(physical))).toBe(true);
    expect(direct).toEqual([]);
  });

  it('fails the resource of an unreachable region with the reason the global API gives', async () => {
    const { f, call, waitDone } = await setup();
    f.down.add('b');
    const created = await call('POST', '/stacks', { stack_name: 'down', template, disable_rollback: true });
    expect(created.status).toBe(201);
    const s = await waitDone('down', created.body.stack.id);
    expect(s.stack_status).toBe('CREATE_FAILED');
    expect(s.stack_status_reason).toMatch(/Region b is unreachable/);
    const there = (await call('GET', `/stacks/down/${created.body.stack.id}/resources/there`)).body.resource;
    expect(there.resource_status).toBe('CREATE_FAILED');
    expect(there.resource_status_reason).toMatch(/Region b is unreachable/);
    const here = (await call('GET', `/stacks/down/${created.body.stack.id}/resources/here`)).body.resource;
    expect(here.resource_status).toBe('CREATE_COMPLETE');
  });
});

describe('remoteBase', () => {
  const sites = [
    { id: 'a', region: 'a', url: 'http://a:5000' },
    { id: 'b', region: 'east', url: 'http://b:5000' },
    { id: 'c', region: 'east', url: 'http://c:5000' },
  ];
  it('goes through the global API by region, straight to the site without one or when its region is shared', () => {
    expect(remoteBase(sites[0] ?? { id: '' }, sites, 'http://g/')).toBe('http://g/r/a');
    expect(remoteBase(sites[0] ?? { id: '' }, sites, undefined)).toBe('http://a:5000');
    expect(remoteBase(sites[1] ?? { id: '' }, sites, 'http://g')).toBe('http://b:5000');
  });
});
