/**
 * Orchestration end to end: the real `openstack stack …` CLI (Debian's python3-heatclient) against a `brume up`
 * process with the fake driver, running the course templates (edge-site/e2e/heat-templates/).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExports, type Running, run, startBrume } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const haveHeatCli = existsSync(OPENSTACK) && existsSync('/usr/lib/python3/dist-packages/heatclient');
if (!haveHeatCli) process.stderr.write('openstack CLI or python3-heatclient not installed: skipping the Heat e2e\n');
const templates = join(import.meta.dirname, 'heat-templates');

describe.skipIf(!haveHeatCli)('openstack stack … against a fake-driver site', () => {
  let dir: string;
  let site: Running;
  let env: Record<string, string>;
  let base: string;
  let token: string;
  const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
  const osJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> =>
    JSON.parse(await os(...args, '-f', 'json')) as T;
  // Setup and checks go over HTTP (each CLI call costs seconds); the CLI drives the stacks.
  const api = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies.
  ): Promise<any> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-auth-token': token, 'content-type': 'application/json', ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  let project: string;
  const stackResource = async (stack: string, name: string) =>
    (await api('GET', `/orchestration/v1/${project}/stacks/${stack}/resources/${name}`)).resource;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brume-heat-'));
    const args = ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'fake'];
    site = startBrume(args, { BRUME_ADMIN_PASSWORD: 'e2e-secret' });
    await site.waitFor(/Press Ctrl-C to stop/, 60_000);
    env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
    base = env.OS_AUTH_URL?.replace(/\/v3$/, '') ?? '';
    for (let i = 0; i < 100; i++) {
      const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
      if (h.agents.up >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const auth = await fetch(`${base}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'e2e-secret' } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    token = auth.headers.get('x-subject-token') ?? '';
    project = ((await auth.json()) as { token: { project: { id: string } } }).token.project.id;
    // What the templates refer to: an image, a private network, an external network for floating IPs, a key.
    const image = await api('POST', '/image/v2/images', {
      name: 'cirros',
      disk_format: 'raw',
      container_format: 'bare',
    });
    await api('PUT', `/image/v2/images/${image.id}/file`, new Uint8Array(4096), {
      'content-type': 'application/octet-stream',
    });
    const priv = (await api('POST', '/network/v2.0/networks', { network: { name: 'private' } })).network;
    await api('POST', '/network/v2.0/subnets', {
      subnet: { network_id: priv.id, cidr: '10.20.0.0/24', ip_version: 4 },
    });
    const pub = (await api('POST', '/network/v2.0/networks', { network: { name: 'public', 'router:external': true } }))
      .network;
    await api('POST', '/network/v2.0/subnets', {
      subnet: { network_id: pub.id, cidr: '172.24.4.0/24', ip_version: 4, enable_dhcp: false },
    });
    await api('POST', '/compute/v2.1/os-keypairs', { keypair: { name: 'e2e-key' } });
  }, 120_000);

  afterAll(async () => {
    const status = await site?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(status).toBe(0);
  });

  it('creates a single server, one with a key_name parameter and an instance_ip output, and one with user_data', async () => {
    const types = await osJson<Array<{ 'Resource Type': string }>>('orchestration', 'resource', 'type', 'list');
    expect(types.map((t) => t['Resource Type'])).toEqual(
      expect.arrayContaining(['OS::Nova::Server', 'OS::Neutron::FloatingIP']),
    );
    await os('stack', 'create', '--wait', '--poll', '1', '-t', join(templates, 'single-server.yaml'), 'single');
    await os(
      'stack',
      'create',
      '--wait',
      '--poll',
      '1',
      '-t',
      join(templates, 'key-name.yaml'),
      '--parameter',
      'key_name=e2e-key',
      'keyed',
    );
    await os(
      'stack',
      'create',
      '--wait',
      '--poll',
      '1',
      '-t',
      join(templates, 'user-data.yaml'),
      '--parameter',
      'DBRootPassword=Passw0rd',
      'withdata',
    );
    const stacks = await osJson<Array<{ 'Stack Name': string; 'Stack Status': string }>>('stack', 'list');
    expect(Object.fromEntries(stacks.map((s) => [s['Stack Name'], s['Stack Status']]))).toEqual({
      single: 'CREATE_COMPLETE',
      keyed: 'CREATE_COMPLETE',
      withdata: 'CREATE_COMPLETE',
    });
    const ip = (
      await os('stack', 'output', 'show', 'keyed', 'instance_ip', '-f', 'value', '-c', 'output_value')
    ).trim();
    expect(ip).toMatch(/^10\.20\.0\.\d+$/);
    const server = (await stackResource('keyed', 'my_instance')).physical_resource_id;
    expect((await api('GET', `/compute/v2.1/servers/${server}`)).server.key_name).toBe('e2e-key');
    const db = (await stackResource('withdata', 'db')).physical_resource_id;
    const shown = (
      await api('GET', `/compute/v2.1/servers/${db}`, undefined, { 'x-openstack-nova-api-version': '2.3' })
    ).server;
    const userData = Buffer.from(String(shown['OS-EXT-SRV-ATTR:user_data']), 'base64').toString();
    expect(userData).toContain('mysqladmin -u root password Passw0rd');
    // The hidden parameter is masked; a bad value is refused before anything is created.
    const withdata = await api('GET', `/orchestration/v1/${project}/stacks/withdata`);
    expect(withdata.stack.parameters.DBRootPassword).toBe('******');
    await expect(
      os('stack', 'create', '-t', join(templates, 'user-data.yaml'), '--parameter', 'DBRootPassword=short', 'refused'),
    ).rejects.toThrow(/DBRootPassword must be between 6 and 41 characters/);
  }, 180_000);

  it('creates the two-tier app, updates it (servers replaced, volume and floating IP kept) and deletes every stack', async () => {
    await os('stack', 'create', '--wait', '--poll', '1', '-t', join(templates, 'two-tier.yaml'), 'app');
    const outputs = async () =>
      Object.fromEntries(
        (await api('GET', `/orchestration/v1/${project}/stacks/app`)).stack.outputs.map(
          (o: { output_key: string; output_value: unknown }) => [o.output_key, o.output_value],
        ),
      );
    const before = await outputs();
    expect(before.web_public_ip).toMatch(/^172\.24\.4\.\d+$/);
    expect(before.db_ip).toMatch(/^10\.42\.0\.\d+$/);
    const volumes = async () =>
      (await api('GET', `/volume/v3/${project}/volumes/detail`)).volumes as Array<{
        status: string;
        attachments: Array<{ server_id: string }>;
      }>;
    expect((await volumes()).map((v) => v.status)).toEqual(['in-use']);
    const resources = (await api('GET', `/orchestration/v1/${project}/stacks/app/resources`)).resources as Array<{
      resource_status: string;
    }>;
    expect(resources).toHaveLength(10);
    expect(new Set(resources.map((r) => r.resource_status))).toEqual(new Set(['CREATE_COMPLETE']));

    // PATCH (--existing): a new flavor replaces both servers; the volume follows the new db server.
    await os('stack', 'update', '--wait', '--existing', '--parameter', 'flavor=m1.small', 'app');
    expect((await api('GET', `/orchestration/v1/${project}/stacks/app`)).stack.stack_status).toBe('UPDATE_COMPLETE');
    const servers = (
      await api('GET', '/compute/v2.1/servers/detail', undefined, { 'x-openstack-nova-api-version': '2.47' })
    ).servers as Array<{ name: string; flavor: { original_name: string } }>;
    expect(servers.filter((s) => s.name.startsWith('app-')).map((s) => s.flavor.original_name)).toEqual([
      'm1.small',
      'm1.small',
    ]);
    const after = await outputs();
    expect(after.web_public_ip).toBe(before.web_public_ip);
    const newDb = (await stackResource('app', 'db_server')).physical_resource_id;
    expect((await volumes()).map((v) => [v.status, v.attachments[0]?.server_id])).toEqual([['in-use', newDb]]);

    await os('stack', 'delete', '--yes', '--wait', 'app', 'single', 'keyed', 'withdata');
    expect((await api('GET', `/orchestration/v1/${project}/stacks`)).stacks).toEqual([]);
    expect((await api('GET', '/compute/v2.1/servers')).servers).toEqual([]);
    expect(await volumes()).toEqual([]);
    expect((await api('GET', '/network/v2.0/routers')).routers).toEqual([]);
    expect((await api('GET', '/network/v2.0/floatingips')).floatingips).toEqual([]);
    const nets = (await api('GET', '/network/v2.0/networks')).networks as Array<{ name: string }>;
    expect(nets.map((n) => n.name).sort()).toEqual(['private', 'public']);
  }, 240_000);
});
