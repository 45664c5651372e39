import { describe, expect, it } from 'vitest';
import { fakeCloud } from '../testing/fake-cloud.ts';
import { orchestrationHarness } from '../testing/harness.ts';
import { stackStore } from './store.ts';

const twoTier = {
  heat_template_version: '2018-08-31',
  parameters: { flavor: { type: 'string', default: 'm1.tiny' } },
  resources: {
    net: { type: 'OS::Neutron::Net' },
    subnet: { type: 'OS::Neutron::Subnet', properties: { network: { get_resource: 'net' }, cidr: '10.0.0.0/24' } },
    router: { type: 'OS::Neutron::Router', properties: { external_gateway_info: { network: 'public' } } },
    router_if: {
      type: 'OS::Neutron::RouterInterface',
      properties: { router: { get_resource: 'router' }, subnet: { get_resource: 'subnet' } },
    },
    vol: { type: 'OS::Cinder::Volume', properties: { size: 1 } },
    db: {
      type: 'OS::Nova::Server',
      depends_on: 'subnet',
      properties: {
        image: 'cirros',
        flavor: { get_param: 'flavor' },
        networks: [{ network: { get_resource: 'net' } }],
        metadata: { role: 'db' },
      },
    },
    attach: {
      type: 'OS::Cinder::VolumeAttachment',
      properties: { instance_uuid: { get_resource: 'db' }, volume_id: { get_resource: 'vol' } },
    },
    web: {
      type: 'OS::Nova::Server',
      properties: {
        image: 'cirros',
        flavor: 'm1.tiny',
        networks: [{ network: { get_resource: 'net' } }],
        user_data_format: 'RAW',
        user_data: { str_replace: { template: 'DB=$ip', params: { $ip: { get_attr: ['db', 'first_address'] } } } },
      },
    },
    group: {
      type: 'OS::Heat::ResourceGroup',
      properties: {
        count: 2,
        resource_def: {
          type: 'OS::Neutron::Port',
          properties: { network: { get_resource: 'net' }, name: 'port-%index%' },
        },
      },
    },
  },
  outputs: {
    db_ip: { value: { get_attr: ['db', 'first_address'] } },
    ports: { value: { get_attr: ['group', 'refs'] } },
  },
};

async function withPublicNet(h: Awaited<ReturnType<typeof orchestrationHarness>>) {
  h.cloud.objects.set('networks', new Map([['pub', { id: 'pub', name: 'public' }]]));
}

const count = (h: Awaited<ReturnType<typeof orchestrationHarness>>, c: string) => h.cloud.objects.get(c)?.size ?? 0;

describe('stack lifecycle over a fake cloud', () => {
  it('creates a two-tier stack in dependency order, updates in place or by replacement, deletes everything', async () => {
    const h = await orchestrationHarness();
    await withPublicNet(h);
    const id = (await h.call('POST', '/stacks', { stack_name: 'app', template: twoTier })).body.stack.id;
    await h.settle();
    const stack = (await h.call('GET', `/stacks/app/${id}`)).body.stack;
    expect(stack.stack_status).toBe('CREATE_COMPLETE');
    expect(stack.outputs.find((o: { output_key: string }) => o.output_key === 'db_ip').output_value).toMatch(
      /^10\.0\.0\.\d+$/,
    );
    expect(stack.outputs.find((o: { output_key: string }) => o.output_key === 'ports').output_value).toHaveLength(2);
    // Order: the net before its subnet, the subnet before the db server, the db before the attachment and web.
    const order = h.cloud.calls.filter((c) => c.startsWith('POST'));
    const at = (p: string) => order.findIndex((c) => c.includes(p));
    expect(at('/networks')).toBeLessThan(at('/subnets'));
    expect(at('/subnets')).toBeLessThan(at('/servers'));
    expect(at('os-volume_attachments')).toBeGreaterThan(at('/servers'));
    const servers = [...(h.cloud.objects.get('servers')?.values() ?? [])];
    const web = servers.find((s) => String(s.name).includes('-web-'));
    expect(Buffer.from(String(web?.user_data), 'base64').toString()).toMatch(/^DB=10\.0\.0\.\d+$/);
    expect([...(h.cloud.objects.get('ports')?.values() ?? [])].map((p) => p.name).sort()).toEqual(['port-0', 'port-1']);
    const requiredBy = (await h.call('GET', `/stacks/app/${id}/resources`)).body.resources.find(
      (r: { resource_name: string }) => r.resource_name === 'net',
    ).required_by;
    expect(requiredBy.sort()).toEqual(['db', 'group', 'subnet', 'web']);

    // In place: server metadata; replaced: the db's flavor (and the attachment that names it); group grows.
    const dbBefore = (await h.call('GET', `/stacks/app/${id}/resources/db`)).body.resource.physical_resource_id;
    const webBefore = (await h.call('GET', `/stacks/app/${id}/resources/web`)).body.resource.physical_resource_id;
    const next = structuredClone(twoTier) as typeof twoTier & {
      resources: Record<string, { properties: Record<string, unknown> }>;
    };
    (next.resources.db.properties.metadata as Record<string, string>).role = 'database';
    (next.resources.group.properties as { count: number }).count = 3;
    expect((await h.call('PUT', `/stacks/app/${id}`, { template: next, parameters: {} })).status).toBe(202);
    await h.settle();
    expect((await h.call('GET', `/stacks/app/${id}`)).body.stack.stack_status).toBe('UPDATE_COMPLETE');
    expect(h.cloud.objects.get('servers')?.get(dbBefore)?.metadata).toEqual({ role: 'database' });
    expect(count(h, 'ports')).toBe(3);
    expect((await h.call('PATCH', `/stacks/app/${id}`, { parameters: { flavor: 'm1.small' } })).status).toBe(202);
    await h.settle();
    expect((await h.call('GET', `/stacks/app/${id}`)).body.stack.stack_status).toBe('UPDATE_COMPLETE');
    const dbAfter = (await h.call('GET', `/stacks/app/${id}/resources/db`)).body.resource.physical_resource_id;
    expect(dbAfter).not.toBe(dbBefore);
    expect(h.cloud.objects.get('servers')?.has(dbBefore)).toBe(false);
    // web's user_data names the db's address, which the fake gives anew: web is replaced too.
    expect(count(h, 'servers')).toBe(2);
    void webBefore;
    expect(h.cloud.objects.get('volumes')?.values().next().value?.status).toBe('in-use');

    expect((await h.call('DELETE', `/stacks/app/${id}`)).status).toBe(204);
    await h.settle();
    expect((await h.call('GET', `/stacks/app/${id}`)).body.stack.stack_status).toBe('DELETE_COMPLETE');
    for (const c of ['servers', 'volumes', 'subnets', 'routers', 'ports', 'router-interfaces'])
      expect([c, count(h, c)]).toEqual([c, 0]);
    expect(count(h, 'networks')).toBe(1);
  });

  it('rolls back a failed create (no orphans), or keeps the resources with rollback disabled until delete', async () => {
    const h = await orchestrationHarness();
    await withPublicNet(h);
    h.cloud.failNext('volumes', 400, 'Invalid volume size');
    const id = (await h.call('POST', '/stacks', { stack_name: 'rb', template: twoTier, disable_rollback: false })).body
      .stack.id;
    await h.settle();
    const events = (await h.call('GET', `/stacks/rb/${id}/events`)).body.events.filter(
      (e: { resource_name: string }) => e.resource_name === 'rb',
    );
    expect(events.map((e: { resource_status: string }) => e.resource_status)).toEqual([
      'CREATE_IN_PROGRESS',
      'CREATE_FAILED',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_COMPLETE',
    ]);
    expect(events[1].resource_status_reason).toBe(
      'Resource CREATE failed: BadRequest: resources.vol: Invalid volume size',
    );
    for (const c of ['servers', 'volumes', 'subnets', 'routers', 'ports']) expect([c, count(h, c)]).toEqual([c, 0]);

    h.cloud.failNext('servers', 400, 'No valid host');
    const id2 = (await h.call('POST', '/stacks', { stack_name: 'kept', template: twoTier })).body.stack.id;
    await h.settle();
    const shown = (await h.call('GET', `/stacks/kept/${id2}`)).body.stack;
    expect(shown.stack_status).toBe('CREATE_FAILED');
    expect(shown.stack_status_reason).toMatch(
      /^Resource CREATE failed: BadRequest: resources\.(db|web): No valid host$/,
    );
    await h.call('DELETE', `/stacks/kept/${id2}`);
    await h.settle();
    expect((await h.call('GET', `/stacks/kept/${id2}`)).body.stack.stack_status).toBe('DELETE_COMPLETE');
    for (const c of ['servers', 'volumes', 'subnets', 'routers', 'ports']) expect([c, count(h, c)]).toEqual([c, 0]);
  });

  it('fails stacks interrupted by a restart with "site restarted"', async () => {
    const h = await orchestrationHarness();
    const store = stackStore(h.deps);
    const base = {
      name: 'x',
      projectId: 'p1',
      userId: 'u1',
      template: { heat_template_version: '2018-08-31' },
      parameters: {},
      environment: {},
      files: {},
      disableRollback: true,
      timeoutMins: null,
      tags: [],
      createdAt: 0,
      updatedAt: null,
      deletedAt: null,
    };
    await store.insertStack({ ...base, id: 's-1', action: 'CREATE', status: 'IN_PROGRESS', statusReason: '' });
    await store.insertResource({
      id: 'r-1',
      stackId: 's-1',
      name: 'r',
      type: 'OS::Heat::None',
      physicalId: null,
      site: 'test',
      action: 'CREATE',
      status: 'IN_PROGRESS',
      statusReason: '',
      properties: null,
      data: {},
      createdAt: 0,
      updatedAt: null,
    });
    await h.module.start?.();
    expect((await store.stack('s-1'))?.status).toBe('FAILED');
    expect((await store.stack('s-1'))?.statusReason).toBe('site restarted');
    expect((await store.resources('s-1'))[0]).toMatchObject({ status: 'FAILED', statusReason: 'site restarted' });
    // A stop during an operation cancels it: the stack ends FAILED too, never stuck IN_PROGRESS.
    const id = (
      await h.call('POST', '/stacks', {
        stack_name: 'slow',
        template: {
          heat_template_version: '2018-08-31',
          resources: { t: { type: 'OS::Heat::TestResource', properties: { wait_secs: 60 } } },
        },
      })
    ).body.stack.id;
    const stopped = h.module.stop?.();
    for (let i = 0; i < 100 && (await store.stack(id))?.status === 'IN_PROGRESS'; i++) {
      h.deps.clock.advance(61_000);
      await new Promise((r) => setImmediate(r));
    }
    await stopped;
    expect((await store.stack(id))?.status).not.toBe('IN_PROGRESS');
  });
});

describe('stacks spanning sites', () => {
  it('creates resources naming another site there, and fails one whose site is unreachable with a clear reason', async () => {
    const remote = fakeCloud('site2');
    const h = await orchestrationHarness({
      sites: [
        { id: 'site2', url: 'http://site2.test' },
        { id: 'site3', url: 'http://site3.test' },
      ],
      remote: async (req) => {
        if (new URL(req.url).host === 'site2.test') return remote.app.fetch(req);
        throw new Error('connect ECONNREFUSED');
      },
    });
    const template = (site: string) => ({
      heat_template_version: '2018-08-31',
      resources: {
        local_net: { type: 'OS::Neutron::Net' },
        far_net: { type: 'OS::Neutron::Net', metadata: { 'brume:site': site } },
        far_server: {
          type: 'OS::Nova::Server',
          metadata: { 'brume:site': site },
          properties: { image: 'cirros', flavor: 'm1.tiny', networks: [{ network: { get_resource: 'far_net' } }] },
        },
      },
      outputs: { ip: { value: { get_attr: ['far_server', 'first_address'] } } },
    });
    const id = (await h.call('POST', '/stacks', { stack_name: 'span', template: template('site2') })).body.stack.id;
    await h.settle();
    const shown = (await h.call('GET', `/stacks/span/${id}`)).body.stack;
    expect(shown.stack_status).toBe('CREATE_COMPLETE');
    expect(shown.outputs[0].output_value).toMatch(/^10\.0\.0\.\d+$/);
    expect(count(h, 'networks')).toBe(1);
    expect(remote.objects.get('networks')?.size).toBe(1);
    expect(remote.objects.get('servers')?.size).toBe(1);
    const resources = (await h.call('GET', `/stacks/span/${id}/resources`)).body.resources;
    expect(
      Object.fromEntries(
        resources.map((r: { resource_name: string; 'brume:site': string }) => [r.resource_name, r['brume:site']]),
      ),
    ).toEqual({
      local_net: 'test',
      far_net: 'site2',
      far_server: 'site2',
    });
    await h.call('DELETE', `/stacks/span/${id}`);
    await h.settle();
    expect(remote.objects.get('servers')?.size).toBe(0);
    expect(remote.objects.get('networks')?.size).toBe(0);

    const id2 = (await h.call('POST', '/stacks', { stack_name: 'down', template: template('site3') })).body.stack.id;
    await h.settle();
    const failed = (await h.call('GET', `/stacks/down/${id2}`)).body.stack;
    expect(failed.stack_status).toBe('CREATE_FAILED');
    expect(failed.stack_status_reason).toBe(
      'Resource CREATE failed: SiteUnreachable: resources.far_net: site site3 is unreachable: connect ECONNREFUSED',
    );
    const bad = await h.call('POST', '/stacks', { stack_name: 'nosite', template: template('mars') });
    await h.settle();
    expect((await h.call('GET', `/stacks/nosite/${bad.body.stack.id}`)).body.stack.stack_status_reason).toContain(
      'The site mars is not a member of this federation.',
    );
  });
});

describe('configuration resources', () => {
  it('feeds a CloudConfig to a server as SOFTWARE_CONFIG user data, and holds values', async () => {
    const h = await orchestrationHarness();
    const template = {
      heat_template_version: '2018-08-31',
      resources: {
        boot: { type: 'OS::Heat::CloudConfig', properties: { cloud_config: { packages: ['nginx'] } } },
        v: { type: 'OS::Heat::Value', properties: { value: { a: [1, 2] } } },
        net: { type: 'OS::Neutron::Net' },
        srv: {
          type: 'OS::Nova::Server',
          properties: {
            image: 'cirros',
            flavor: 'm1.tiny',
            networks: [{ network: { get_resource: 'net' } }],
            user_data_format: 'SOFTWARE_CONFIG',
            user_data: { get_resource: 'boot' },
          },
        },
      },
      outputs: { v: { value: { get_attr: ['v', 'value', 'a', 1] } }, cfg: { value: { get_attr: ['boot', 'config'] } } },
    };
    const id = (await h.call('POST', '/stacks', { stack_name: 'cfg', template })).body.stack.id;
    await h.settle();
    const stack = (await h.call('GET', `/stacks/cfg/${id}`)).body.stack;
    expect(stack.stack_status).toBe('CREATE_COMPLETE');
    const out = Object.fromEntries(
      stack.outputs.map((o: { output_key: string; output_value: unknown }) => [o.output_key, o.output_value]),
    );
    expect(out).toEqual({ v: 2, cfg: '#cloud-config\npackages:\n  - nginx\n' });
    const server = [...(h.cloud.objects.get('servers')?.values() ?? [])][0];
    expect(Buffer.from(String(server?.user_data), 'base64').toString()).toBe('#cloud-config\npackages:\n  - nginx\n');
    await h.call('DELETE', `/stacks/cfg/${id}`);
    await h.settle();
    expect((await h.call('GET', '/software_configs')).body.software_configs).toEqual([]);
  });

  it('waits for a signal on a wait condition handle, and times out without one', async () => {
    const h = await orchestrationHarness();
    const template = (timeout: number) => ({
      heat_template_version: '2018-08-31',
      resources: {
        handle: { type: 'OS::Heat::WaitConditionHandle' },
        wait: {
          type: 'OS::Heat::WaitCondition',
          properties: { handle: { get_resource: 'handle' }, timeout, count: 1 },
        },
      },
      outputs: {
        curl: { value: { get_attr: ['handle', 'curl_cli'] } },
        data: { value: { get_attr: ['wait', 'data'] } },
      },
    });
    const id = (await h.call('POST', '/stacks', { stack_name: 'w', template: template(600) })).body.stack.id;
    for (let i = 0; i < 100; i++) {
      const r = await h.call('GET', `/stacks/w/${id}/resources/wait`);
      if (r.body.resource?.resource_status === 'CREATE_IN_PROGRESS' && r.body.resource.physical_resource_id) break;
      h.deps.clock.advance(50);
      await new Promise((r2) => setImmediate(r2));
    }
    const curl = (await h.call('GET', `/stacks/w/${id}/outputs/curl`)).body.output.output_value as string;
    const url = curl.split(' ').at(-1) ?? '';
    expect(url).toBe(`http://site.test/orchestration/v1/p1/stacks/w/${id}/resources/handle/signal`);
    expect(curl).toContain(`X-Auth-Token: ${h.token}`);
    expect((await h.call('POST', url, { status: 'SUCCESS', data: 'ready', id: 'vm1' })).status).toBe(200);
    await h.settle();
    const stack = (await h.call('GET', `/stacks/w/${id}`)).body.stack;
    expect(stack.stack_status).toBe('CREATE_COMPLETE');
    expect(JSON.parse(stack.outputs.find((o: { output_key: string }) => o.output_key === 'data').output_value)).toEqual(
      { vm1: 'ready' },
    );

    const id2 = (await h.call('POST', '/stacks', { stack_name: 'w2', template: template(5) })).body.stack.id;
    await h.settle();
    expect((await h.call('GET', `/stacks/w2/${id2}`)).body.stack.stack_status_reason).toBe(
      'Resource CREATE failed: ResourceInError: resources.wait: WaitConditionTimeout: 0 of 1 signals received',
    );
  });

  it('builds template resources (files and resource_registry) as hidden nested stacks', async () => {
    const h = await orchestrationHarness();
    const child = [
      'heat_template_version: 2018-08-31',
      'parameters:',
      '  prefix: {type: string}',
      'resources:',
      '  net: {type: OS::Neutron::Net, properties: {name: {list_join: ["-", [{get_param: prefix}, net]]}}}',
      'outputs:',
      '  net_id: {value: {get_resource: net}}',
    ].join('\n');
    const template = {
      heat_template_version: '2018-08-31',
      resources: {
        a: { type: 'file:///t/child.yaml', properties: { prefix: 'a' } },
        b: { type: 'My::Net', properties: { prefix: 'b' } },
      },
      outputs: { a_net: { value: { get_attr: ['a', 'net_id'] } } },
    };
    const id = (
      await h.call('POST', '/stacks', {
        stack_name: 'parent',
        template,
        files: { 'file:///t/child.yaml': child },
        environment: { resource_registry: { 'My::Net': 'file:///t/child.yaml' } },
      })
    ).body.stack.id;
    await h.settle();
    const stack = (await h.call('GET', `/stacks/parent/${id}`)).body.stack;
    expect(stack.stack_status).toBe('CREATE_COMPLETE');
    const nets = [...(h.cloud.objects.get('networks')?.values() ?? [])];
    expect(nets.map((n) => n.name).sort()).toEqual(['a-net', 'b-net']);
    expect(stack.outputs[0].output_value).toBe(nets.find((n) => n.name === 'a-net')?.id);
    expect((await h.call('GET', '/stacks')).body.stacks.map((s: { stack_name: string }) => s.stack_name)).toEqual([
      'parent',
    ]);
    expect((await h.call('GET', '/stacks?show_nested=true')).body.stacks).toHaveLength(3);
    await h.call('DELETE', `/stacks/parent/${id}`);
    await h.settle();
    expect(h.cloud.objects.get('networks')?.size).toBe(0);
    expect((await h.call('GET', '/stacks?show_nested=true')).body.stacks).toEqual([]);
  });
});
