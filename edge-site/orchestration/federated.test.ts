/** A stack at one whole federated site whose resources name another site: they are made there, through its APIs. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adminToken, createSiteFederation, type SiteFederation } from '../../federation/site/testing.ts';

let fed: SiteFederation | undefined;
afterEach(async () => {
  vi.unstubAllGlobals();
  await fed?.close();
  fed = undefined;
});

describe('stacks spanning federated sites', () => {
  it('creates and deletes the resources naming site b at site b, with a token issued at site a', async () => {
    fed = await createSiteFederation(['a', 'b']);
    const f = fed;
    // Sites reach each other by their public URLs (http://<id>.test:5000): route those to the in-process apps.
    vi.stubGlobal('fetch', async (input: Request | string, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(input, init);
      const host = new URL(req.url).hostname.replace(/\.test$/, '');
      return f.site(host).app.request(req);
    });
    const a = f.site('a');
    const token = await adminToken(a);
    const project = (
      (await (
        await a.app.request('/v3/auth/tokens', { headers: { 'x-auth-token': token, 'x-subject-token': token } })
      ).json()) as {
        token: { project: { id: string } };
      }
    ).token.project.id;
    const call = async (site: string, method: string, path: string, body?: unknown) => {
      const res = await f.site(site).app.request(`http://${site}.test:5000${path}`, {
        method,
        headers: { 'x-auth-token': token, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const template = {
      heat_template_version: '2018-08-31',
      resources: {
        here: { type: 'OS::Neutron::Net' },
        there: { type: 'OS::Neutron::Net', metadata: { 'brume:site': 'b' } },
        there_subnet: {
          type: 'OS::Neutron::Subnet',
          metadata: { 'brume:site': 'b' },
          properties: { network: { get_resource: 'there' }, cidr: '10.5.0.0/24' },
        },
      },
      outputs: { cidr: { value: { get_attr: ['there_subnet', 'cidr'] } } },
    };
    const created = await call('a', 'POST', `/orchestration/v1/${project}/stacks`, { stack_name: 'span', template });
    expect(created.status).toBe(201);
    const id = created.body.stack.id as string;
    const status = async () => (await call('a', 'GET', `/orchestration/v1/${project}/stacks/span/${id}`)).body.stack;
    for (let i = 0; i < 1000 && (await status()).stack_status.endsWith('IN_PROGRESS'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await status()).stack_status_reason).toBe('Stack CREATE completed successfully');
    expect((await status()).outputs[0].output_value).toBe('10.5.0.0/24');
    const names = async (site: string) =>
      ((await call(site, 'GET', '/network/v2.0/networks')).body.networks as Array<{ name: string }>).map((n) => n.name);
    expect((await names('a')).filter((n) => n.startsWith('span-'))).toEqual([expect.stringMatching(/^span-here-/)]);
    expect((await names('b')).filter((n) => n.startsWith('span-'))).toEqual([expect.stringMatching(/^span-there-/)]);

    expect((await call('a', 'DELETE', `/orchestration/v1/${project}/stacks/span/${id}`)).status).toBe(204);
    for (let i = 0; i < 1000 && (await status()).stack_status.endsWith('IN_PROGRESS'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await status()).stack_status).toBe('DELETE_COMPLETE');
    expect((await names('b')).filter((n) => n.startsWith('span-'))).toEqual([]);
    expect((await names('a')).filter((n) => n.startsWith('span-'))).toEqual([]);
  });
});
