/**
 * Three real site processes federated over libp2p (`brume up --sites 3`), driven by the real `openstack` CLI: a user
 * created at site1 gets a token at site3, and a token issued by site1 still works at site3 while site1 is stopped.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, run, startBrume } from '../../edge-site/testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const haveCli = existsSync(OPENSTACK);
if (!haveCli) process.stderr.write('openstack CLI not installed: skipping the multi-process federation test\n');

/** The `export OS_*` block printed for each site, by site name. */
function blocks(out: string): Map<string, Record<string, string>> {
  const sites = new Map<string, Record<string, string>>();
  for (const part of out.split(/^# /m).slice(1)) {
    const name = /^(site\d+)/.exec(part)?.[1];
    if (!name) continue;
    const env: Record<string, string> = {};
    for (const m of part.matchAll(/^export (OS_[A-Z_]+)=(.*)$/gm)) if (m[1] && m[2] !== undefined) env[m[1]] = m[2];
    sites.set(name, env);
  }
  return sites;
}

/** The pid of the `brume site` child whose config is `configFile` (this test started it through `brume up`). */
function sitePid(configFile: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('site') && args.includes(configFile)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no site process for ${configFile}`);
}

async function eventually<T>(what: string, fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe.skipIf(!haveCli)('three site processes over libp2p with the openstack CLI', () => {
  let dir: string;
  let up: Running;
  let sites: Map<string, Record<string, string>>;
  const os = (env: Record<string, string> | undefined, ...args: string[]) =>
    run('/usr/bin/python3', [OPENSTACK, ...args], { ...env, OS_CLOUD: '', OS_CLIENT_CONFIG_FILE: '/dev/null' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brume-fed-'));
    const args = ['up', '--sites', '3', '--data-dir', dir, '--port', '0', '--mqtt-port', '0'];
    up = startBrume([...args, '--driver', 'fake', '--agents', '0'], { BRUME_ADMIN_PASSWORD: 'fed-secret' });
    await up.waitFor(/Press Ctrl-C to stop/, 60_000);
    sites = blocks(up.output());
  }, 90_000);

  afterAll(async () => {
    await up?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints one block per site naming its region', () => {
    expect([...sites.keys()]).toEqual(['site1', 'site2', 'site3']);
    for (const [name, env] of sites) expect(env.OS_REGION_NAME).toBe(name);
  });

  it('lets a user created at site1 log in at site3, and site1 tokens work at site3 while site1 is down', async () => {
    const s1 = sites.get('site1');
    const s3 = sites.get('site3');
    await os(s1, 'project', 'create', '--domain', 'Default', 'fed');
    await os(s1, 'user', 'create', '--domain', 'Default', '--project', 'fed', '--password', 'pw-fed', 'frank');
    await os(s1, 'role', 'add', '--project', 'fed', '--user', 'frank', 'member');
    const asFrank = { OS_USERNAME: 'frank', OS_PASSWORD: 'pw-fed', OS_PROJECT_NAME: 'fed' };
    const atSite3 = await eventually('token at site3', () =>
      os({ ...s3, ...asFrank }, 'token', 'issue', '-f', 'value', '-c', 'project_id'),
    );
    expect(atSite3.trim()).toMatch(/^[0-9a-f]{32}$/);

    const token = (await os({ ...s1, ...asFrank }, 'token', 'issue', '-f', 'value', '-c', 'id')).trim();
    const pid = sitePid(join(dir, 'site1', 'site-config.json'));
    process.kill(pid, 'SIGTERM');
    await eventually('site1 stopped', async () => {
      if (existsSync(`/proc/${pid}`)) throw new Error('still running');
    });
    const base3 = s3?.OS_AUTH_URL?.replace(/\/v3$/, '') ?? '';
    const status = await eventually('site1 seen down at site3', async () => {
      const r = await fetch(`${base3}/federation/v1/status`, { headers: { 'X-Auth-Token': token } });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-brume-catalog-peers-down')).toBe('1');
      return (await r.json()) as { peers: Array<{ id: string; status: string }> };
    });
    expect(status.peers.find((p) => p.id === 'site1')?.status).toBe('down');
    // The CLI exchanges site1's token for a new one at site3 (token method), then uses it.
    const withToken = {
      OS_AUTH_URL: s3?.OS_AUTH_URL ?? '',
      OS_AUTH_TYPE: 'token',
      OS_TOKEN: token,
      OS_PROJECT_NAME: 'fed',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'site3',
      OS_IDENTITY_API_VERSION: '3',
    };
    const projectId = await os(withToken, 'token', 'issue', '-f', 'value', '-c', 'project_id');
    expect(projectId.trim()).toMatch(/^[0-9a-f]{32}$/);
    expect(await os(withToken, 'server', 'list', '-f', 'json')).toContain('[');
  }, 120_000);
});
