/**
 * The day-one workflow of the issue, driven by the real `openstack` CLI (Debian's python3-openstackclient) against
 * `brume up` processes on loopback: once with the embedded MQTT broker, once with Debian's mosquitto.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasMosquitto, type MosquittoProcess, startMosquitto } from '../../shared/testing/mosquitto.ts';
import { parseExports, type Running, run, startBrume } from '../testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const haveCli = existsSync(OPENSTACK);
if (!haveCli) {
  // CI installs python3-openstackclient; elsewhere say clearly why this suite does not run.
  process.stderr.write('openstack CLI not installed (apt-get install python3-openstackclient): skipping e2e\n');
}

function workflow(label: string, useMosquitto: boolean) {
  describe.skipIf(!haveCli || (useMosquitto && !hasMosquitto()))(`openstack CLI day one (${label})`, () => {
    let dir: string;
    let site: Running;
    let broker: MosquittoProcess | undefined;
    let env: Record<string, string>;
    let restartArgs: string[] = [];
    const os = async (...args: string[]) => run('/usr/bin/python3', [OPENSTACK, ...args], env);
    const osJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> =>
      JSON.parse(await os(...args, '-f', 'json')) as T;
    const waitStatus = async (server: string, status: string) => {
      for (let i = 0; i < 120; i++) {
        const s = (await os('server', 'show', server, '-f', 'value', '-c', 'status')).trim();
        if (s === status) return;
        if (s === 'ERROR') throw new Error(`server ${server} went to ERROR waiting for ${status}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`server ${server} never reached ${status}`);
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'brume-e2e-'));
      const args = ['up', '--sites', '1', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--driver', 'fake'];
      if (useMosquitto) {
        broker = await startMosquitto();
        args.push('--mqtt-url', broker.url);
      }
      site = startBrume(args, { BRUME_ADMIN_PASSWORD: 'e2e-secret' });
      restartArgs = args;
      await site.waitFor(/Press Ctrl-C to stop/, 60_000);
      env = { ...parseExports(site.output()), OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' };
      expect(env.OS_AUTH_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v3$/);
      // Both agents registered before we ask for servers.
      const base = env.OS_AUTH_URL?.replace(/\/v3$/, '');
      for (let i = 0; i < 100; i++) {
        const h = (await (await fetch(`${base}/healthz`)).json()) as { agents: { up: number } };
        if (h.agents.up >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 90_000);

    afterAll(async () => {
      // Stop everything first, then judge the site's exit status: a failed check must not leak a broker.
      const status = await site?.stop();
      await broker?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
      expect(status).toBe(0);
    });

    it('issues a token and lists the catalog', async () => {
      const token = await osJson('token', 'issue');
      expect(String(token.id).length).toBeGreaterThan(20);
      const catalog = await osJson<Array<{ Name: string; Type: string }>>('catalog', 'list');
      expect(catalog.map((e) => e.Type).sort()).toEqual(
        expect.arrayContaining(['compute', 'identity', 'image', 'network']),
      );
    });

    it('creates a project and a user and grants a role', async () => {
      await os('project', 'create', '--domain', 'Default', 'demo');
      await os('user', 'create', '--domain', 'Default', '--project', 'demo', '--password', 'pw-demo', 'alice');
      await os('role', 'add', '--project', 'demo', '--user', 'alice', 'member');
      const assignments = await osJson<unknown[]>(
        'role',
        'assignment',
        'list',
        '--user',
        'alice',
        '--project',
        'demo',
        '--names',
      );
      expect(assignments.length).toBe(1);
      const asAlice = await run('/usr/bin/python3', [OPENSTACK, 'token', 'issue', '-f', 'value', '-c', 'project_id'], {
        ...env,
        OS_USERNAME: 'alice',
        OS_PASSWORD: 'pw-demo',
        OS_PROJECT_NAME: 'demo',
      });
      expect(asAlice.trim()).toMatch(/^[0-9a-f]{32}$/);
    });

    it('uploads, lists, shows and downloads an image byte for byte', async () => {
      const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
      const file = join(dir, 'disk.raw');
      writeFileSync(file, bytes);
      // The CLI prints the record as created (queued, like Glance); the upload follows in the same command.
      await os('image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, 'tiny');
      const list = await osJson<Array<{ Name: string }>>('image', 'list');
      expect(list.map((i) => i.Name)).toContain('tiny');
      const shown = await osJson('image', 'show', 'tiny');
      expect(shown.status).toBe('active');
      expect(shown.size).toBe(bytes.length);
      expect(shown.checksum).toBe(createHash('md5').update(bytes).digest('hex'));
      const out = join(dir, 'saved.raw');
      await os('image', 'save', '--file', out, 'tiny');
      expect(readFileSync(out).equals(bytes)).toBe(true);
    });

    it('creates a flavor, a keypair, a network and a subnet', async () => {
      await os('flavor', 'create', '--ram', '128', '--vcpus', '1', '--disk', '1', 'e2e.small');
      const flavors = await osJson<Array<{ Name: string }>>('flavor', 'list');
      expect(flavors.map((f) => f.Name)).toContain('e2e.small');
      const key = await osJson('keypair', 'create', '--private-key', join(dir, 'key.pem'), 'k1');
      expect(key.name).toBe('k1');
      expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toContain('PRIVATE KEY');
      await os('network', 'create', 'private');
      const subnet = await osJson(
        'subnet',
        'create',
        '--network',
        'private',
        '--subnet-range',
        '10.20.0.0/24',
        'private-v4',
      );
      expect(subnet.cidr).toBe('10.20.0.0/24');
    });

    it('boots a server, drives its power state, reads its console and deletes it', async () => {
      const server = await osJson(
        'server',
        'create',
        '--image',
        'tiny',
        '--flavor',
        'e2e.small',
        '--network',
        'private',
        '--key-name',
        'k1',
        '--wait',
        'vm1',
      );
      expect(server.status).toBe('ACTIVE');
      const list = await osJson<Array<{ Name: string; Status: string; Networks: unknown }>>('server', 'list');
      expect(list.find((s) => s.Name === 'vm1')?.Status).toBe('ACTIVE');
      const shown = await osJson('server', 'show', 'vm1');
      expect(JSON.stringify(shown.addresses)).toContain('10.20.0.');
      await os('server', 'stop', 'vm1');
      await waitStatus('vm1', 'SHUTOFF');
      await os('server', 'start', 'vm1');
      await waitStatus('vm1', 'ACTIVE');
      await os('server', 'reboot', '--wait', 'vm1');
      await waitStatus('vm1', 'ACTIVE');
      const log = await os('console', 'log', 'show', 'vm1');
      expect(log).toContain('vm1');
      await os('server', 'delete', '--wait', 'vm1');
      const after = await osJson<Array<{ Name: string }>>('server', 'list');
      expect(after.map((s) => s.Name)).not.toContain('vm1');
    }, 120_000);

    it.skipIf(useMosquitto)(
      'serves openstacksdk: find by name, create, wait, list, delete',
      async () => {
        const out = await run(
          '/usr/bin/python3',
          [join(import.meta.dirname, 'sdk_workflow.py'), 'tiny', 'e2e.small', 'private'],
          env,
        );
        const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
        expect(r).toMatchObject({ status: 'ACTIVE', listed: true, found: true, after: [] });
        expect(JSON.stringify(r.addresses)).toContain('10.20.0.');
        expect(r.images).toContain('tiny');
      },
      120_000,
    );

    it('keeps every record across a restart of the whole site', async () => {
      await os('server', 'create', '--image', 'tiny', '--flavor', 'e2e.small', '--network', 'private', '--wait', 'vm2');
      expect(await site.stop()).toBe(0);
      site = startBrume(restartArgs, { BRUME_ADMIN_PASSWORD: 'e2e-secret' });
      await site.waitFor(/Press Ctrl-C to stop/, 60_000);
      env = { ...env, ...parseExports(site.output()) };
      const server = await osJson('server', 'show', 'vm2');
      expect(server.status).toBe('ACTIVE');
      expect((await osJson<Array<{ Name: string }>>('image', 'list')).map((i) => i.Name)).toContain('tiny');
      expect((await osJson<Array<{ Name: string }>>('project', 'list')).map((p) => p.Name)).toContain('demo');
      expect((await osJson<Array<{ Name: string }>>('network', 'list')).map((n) => n.Name)).toContain('private');
      await os('server', 'delete', '--wait', 'vm2');
    }, 120_000);
  });
}

workflow('embedded broker', false);
workflow('mosquitto', true);
