/**
 * End to end: the global API as a Worker under `wrangler dev` (workerd, offline) in front of three real sites from
 * `brume up` (fake driver), driven by the unmodified `openstack` CLI through one auth URL.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Running, run, startBrume, startWranglerDev } from '../../edge-site/testing/processes.ts';

const OPENSTACK = '/usr/bin/openstack';
const haveCli = existsSync(OPENSTACK);
if (!haveCli) process.stderr.write('openstack CLI not installed: skipping the global API end-to-end test\n');

/** The pid of the `brume site` child whose config is `configFile` (started by this test through `brume up`). */
function sitePid(configFile: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('site') && args.includes(configFile)) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no process for ${configFile}`);
}

async function until<T>(what: string, fn: () => Promise<T>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw new Error(`${what}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe.skipIf(!haveCli)('global API under wrangler dev, three brume sites, openstack CLI', () => {
  let dir: string;
  let up: Running | undefined;
  let worker: Running | undefined;
  let env: Record<string, string>;
  const os = (region: string, ...args: string[]) =>
    run('/usr/bin/python3', [OPENSTACK, '--os-region-name', region, ...args], env);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brume-global-e2e-'));
    // site1's port is chosen here so that wrangler dev starts while the sites do.
    const sitePort = await freePort();
    up = startBrume(
      [
        'up',
        '--sites',
        '3',
        '--data-dir',
        dir,
        '--port',
        String(sitePort),
        '--mqtt-port',
        '0',
        '--p2p-port',
        '0',
      ].concat(['--global-port', '0', '--driver', 'fake', '--agents', '1']),
      { BRUME_ADMIN_PASSWORD: 'e2e-global' },
    );
    const port = await freePort();
    worker = await startWranglerDev(port, `http://127.0.0.1:${sitePort}`);
    await up.waitFor(/Press Ctrl-C to stop/, 150_000);
    const global = `http://127.0.0.1:${port}`;
    await until('wrangler dev answers', async () => {
      const r = await fetch(`${global}/v3`);
      if (r.status !== 200) throw new Error(String(r.status));
    });
    env = {
      OS_AUTH_URL: `${global}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_USERNAME: 'admin',
      OS_PASSWORD: 'e2e-global',
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_CLOUD: '',
      OS_CLIENT_CONFIG_FILE: '/dev/null',
    };
  }, 240_000);

  afterAll(async () => {
    await worker?.stop();
    await up?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates and lists per region, fans out, and names a stopped region in a 503', async () => {
    const image = join(dir, 'tiny.raw');
    writeFileSync(image, Buffer.alloc(64 * 1024, 7));
    await os('site2', 'image', 'create', '--file', image, '--disk-format', 'raw', '--container-format', 'bare', 'gimg');
    await os('site2', 'network', 'create', 'gnet');
    const id = (
      await os(
        'site2',
        'server',
        'create',
        '--image',
        'gimg',
        '--flavor',
        'm1.tiny',
        '--network',
        'gnet',
        'gvm',
        '--wait',
      )
    ).match(/\|\s+id\s+\|\s+(\S+)/)?.[1];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await os('site2', 'server', 'list', '-f', 'value', '-c', 'Name', '-c', 'Status')).toContain('gvm ACTIVE');
    const all = await os('all', 'server', 'list', '-f', 'value', '-c', 'Name', '-c', 'Status');
    expect(all).toContain('gvm ACTIVE');

    const pid = sitePid(join(dir, 'site3', 'site-config.json'));
    process.kill(pid, 'SIGTERM');
    await until('site3 stopped', async () => {
      if (existsSync(`/proc/${pid}`)) throw new Error('still running');
    });
    const refused = await os('site3', 'server', 'list').then(
      () => 'no error',
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/Region site3 is unreachable/);
    expect(refused).toMatch(/503/);
    // The other regions answer; the fan-out leaves site3 out instead of failing.
    expect(await os('all', 'network', 'list', '-f', 'value', '-c', 'Name')).toContain('gnet');
  }, 300_000);
});
