/**
 * Real VMs for `brume up`: which hypervisor driver the local agents run, and the tiny test guest registered as the
 * public Glance image `brume-tiny`. Used by cli.ts only (reads the host: QEMU on PATH, the guest build).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testGuest } from '../site-agent/drivers/qemu/test-guest.ts';
import type { EdgeSite } from './create-edge-site.ts';

const execFileAsync = promisify(execFile);

/** The name of the image `brume up` registers when it runs real VMs. */
export const GUEST_IMAGE_NAME = 'brume-tiny';

/** What the agents will run, and the sentence saying why. */
export interface DriverChoice {
  driver: 'fake' | 'qemu';
  reason: string;
}

/** The longest unix socket path (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** `auto` picks QEMU when `qemu-system-x86_64` runs here; `qemu` insists on it; `fake` never runs VMs. */
export async function chooseDriver(wanted: string): Promise<DriverChoice> {
  if (wanted === 'fake') return { driver: 'fake', reason: '--driver fake' };
  if (wanted !== 'qemu' && wanted !== 'auto') throw new Error(`--driver must be fake, qemu or auto (got ${wanted})`);
  let version: string | undefined;
  try {
    const { stdout } = await execFileAsync('qemu-system-x86_64', ['--version']);
    version = stdout.split('\n')[0]?.trim();
  } catch {
    if (wanted === 'qemu') throw new Error('--driver qemu: qemu-system-x86_64 is not installed or does not run');
    return {
      driver: 'fake',
      reason: 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils for real VMs)',
    };
  }
  return { driver: 'qemu', reason: `${version ?? 'QEMU'} found${wanted === 'qemu' ? '' : ' (--driver auto)'}` };
}

/** Throws when an agent folder is too deep for the QMP sockets of its VMs (`…/qemu/instances/<uuid>/qmp.sock`). */
export function checkAgentDir(agentDir: string): void {
  const longest = join(agentDir, 'qemu', 'instances', '00000000-0000-0000-0000-000000000000', 'qmp.sock');
  if (longest.length > MAX_SOCKET_PATH) {
    throw new Error(
      `the data folder is too deep for QEMU's unix sockets (${longest.length} > ${MAX_SOCKET_PATH} bytes): ` +
        'choose a shorter --data-dir',
    );
  }
}

async function api(site: EdgeSite, path: string, init: RequestInit, token?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('x-auth-token', token);
  return site.app.request(path, { ...init, headers });
}

async function expectOk(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
  return res;
}

/**
 * Builds the guest (cached in `cacheDir`) and registers it through the site's own API as the public image
 * `brume-tiny` (disk_format iso, container bare) unless an active image of that name exists. Returns its id.
 */
export async function ensureGuestImage(
  site: EdgeSite,
  admin: { user: string; password: string; project: string },
  cacheDir: string,
): Promise<{ id: string; created: boolean }> {
  const domain = { id: 'default' };
  const auth = await expectOk(
    await api(site, '/v3/auth/tokens?nocatalog', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: admin.user, domain, password: admin.password } },
          },
          scope: { project: { name: admin.project, domain } },
        },
      }),
    }),
    'admin login',
  );
  const token = auth.headers.get('x-subject-token') ?? '';
  const listed = (await (
    await expectOk(await api(site, `/image/v2/images?name=${GUEST_IMAGE_NAME}`, {}, token), 'image list')
  ).json()) as { images: Array<{ id: string; status: string }> };
  const existing = listed.images.find((i) => i.status === 'active');
  if (existing) return { id: existing.id, created: false };

  const guest = await testGuest(cacheDir);
  if (typeof guest === 'string') throw new Error(guest);
  const created = (await (
    await expectOk(
      await api(
        site,
        '/image/v2/images',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: GUEST_IMAGE_NAME,
            disk_format: 'iso',
            container_format: 'bare',
            visibility: 'public',
            min_ram: 96,
          }),
        },
        token,
      ),
      'image create',
    )
  ).json()) as { id: string };
  await expectOk(
    await api(
      site,
      `/image/v2/images/${created.id}/file`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: await readFile(guest.iso),
      },
      token,
    ),
    'image upload',
  );
  return { id: created.id, created: true };
}
