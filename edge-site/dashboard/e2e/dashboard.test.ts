/**
 * The dashboard in real headless Chromium against `brume up --sites 2 --driver fake` processes: sign in, upload an
 * image (progress to 100%), launch an instance through the form, see it ACTIVE, read its console log, delete it,
 * visit every page (screenshots in tmp/dashboard-screenshots), an expired token back to the login page, and the
 * federation view showing a stopped site as unreachable.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Running, startBrume } from '../../testing/processes.ts';
import { haveChromium, launchChromium, shoot } from './browser.ts';

if (!haveChromium())
  process.stderr.write('chromium not installed (apt-get install chromium): skipping dashboard e2e\n');

const PASSWORD = 'dash-secret';

describe.skipIf(!haveChromium())('dashboard in Chromium', () => {
  let dir: string;
  let up: Running;
  let browser: Browser;
  let page: Page;
  let site1: string;
  let site2: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brume-dash-'));
    const args = ['up', '--sites', '2', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--agents', '1'];
    up = startBrume([...args, '--driver', 'fake'], { BRUME_ADMIN_PASSWORD: PASSWORD });
    await up.waitFor(/Press Ctrl-C to stop/, 60_000);
    const urls = [...up.output().matchAll(/^# site\d \(region site\d\): API (\S+),/gm)].map((m) => m[1] ?? '');
    [site1 = '', site2 = ''] = urls;
    expect(site2).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => void d.accept());
    await grantDemoProject(site1);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await up?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints the dashboard URL and serves the login page', async () => {
    expect(up.output()).toContain(`${site1}/dashboard/`);
    await page.goto(`${site1}/dashboard/`);
    await page.getByRole('heading', { name: 'Sign in to Brume' }).waitFor();
    await shoot(page, 'login');
  });

  it('validates before sending and shows Keystone’s message for a wrong password', async () => {
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter your user name.').waitFor();
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'requires authentication' }).waitFor();
  });

  it('signs in (keyboard only) and shows usage against quotas', async () => {
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('img', { name: /Instances: 0 of 10/ }).waitFor();
    await page.getByRole('img', { name: /Volumes:/ }).waitFor();
    await shoot(page, 'overview');
  });

  it('uploads an image with progress reaching 100%', async () => {
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByRole('button', { name: 'Upload image' }).click();
    await page.getByLabel('Image name').fill('tiny-e2e');
    await page.getByLabel('File').setInputFiles({
      name: 'tiny.raw',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(2 * 1024 * 1024, 7),
    });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('Uploaded 100%').waitFor({ timeout: 20_000 });
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    const row = page.getByRole('row').filter({ hasText: 'tiny-e2e' });
    await row.getByText('active').waitFor({ timeout: 20_000 });
    await expect(row.textContent()).resolves.toContain('2.0 MiB');
    await shoot(page, 'images');
  });

  it('creates a network with its subnet, a key pair and a volume through the forms', async () => {
    await page.getByRole('link', { name: 'Networks', exact: true }).click();
    await page.getByLabel('Network name').fill('net1');
    await page.getByLabel('Subnet CIDR (optional)').fill('10.9.0.300/24');
    await page.getByRole('button', { name: 'Create network' }).click();
    await page.getByText('Enter an IPv4 CIDR').waitFor();
    await page.getByLabel('Subnet CIDR (optional)').fill('10.9.0.0/24');
    await page.getByRole('button', { name: 'Create network' }).click();
    await page
      .getByRole('table', { name: 'Networks' })
      .getByText(/net1-subnet 10\.9\.0\.0\/24/)
      .waitFor();
    await page.getByRole('link', { name: 'Key pairs', exact: true }).click();
    await page.getByLabel('Key pair name').fill('k1');
    await page.getByRole('button', { name: 'Create key pair' }).click();
    await page.locator('pre.console').filter({ hasText: 'PRIVATE KEY' }).waitFor();
    await page.getByRole('table', { name: 'Key pairs' }).getByText('k1', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Volumes', exact: true }).click();
    await page.getByLabel('Volume name').fill('vol1');
    await page.getByRole('button', { name: 'Create volume' }).click();
    await page.getByRole('row').filter({ hasText: 'vol1' }).getByText('available').waitFor({ timeout: 20_000 });
  });

  it('launches an instance through the form, sees it ACTIVE, reads its console log, attaches a volume, deletes it', async () => {
    await page.getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('button', { name: 'Launch instance' }).click();
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    await page.getByText('Enter a instance name.').waitFor();
    await page.getByLabel('Instance name').fill('web1');
    await page.getByLabel('Image').selectOption({ label: 'tiny-e2e' });
    await page.getByLabel('Flavor').selectOption({ index: 1 });
    await page.getByLabel('Network').selectOption({ label: 'net1' });
    await page.getByLabel('Key pair').selectOption('k1');
    await page.getByLabel('User data (cloud-init)').fill('#cloud-config\nhostname: web1\n');
    // Nova's own message for a request over quota, shown as sent (no stack trace, no generic text).
    await page.getByLabel('Count').fill('50');
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /Quota exceeded for instances/ })
      .waitFor();
    await page.getByLabel('Count').fill('1');
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: 'web1' });
    // The list polls: no reload between BUILD and ACTIVE.
    await row.getByText('ACTIVE', { exact: true }).waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('tiny-e2e');
    await expect(row.textContent()).resolves.toMatch(/net1: 10\.9\.0\.\d+/);
    await shoot(page, 'instances');
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('img', { name: /Instances: 1 of 10/ }).waitFor();
    await shoot(page, 'overview-in-use');
    await page.getByRole('link', { name: 'Instances' }).click();
    await row.getByRole('button', { name: 'Console log' }).click();
    // The guest's serial console (the fake driver writes a boot log ending at a login prompt).
    await page.getByLabel('Console output').filter({ hasText: 'login:' }).waitFor({ timeout: 15_000 });
    await shoot(page, 'console-log');
    await page.getByRole('button', { name: 'Close' }).click();
    // Attach the volume to it and detach it again (Nova's os-volume_attachments), from the Volumes page.
    await page.getByRole('link', { name: 'Volumes', exact: true }).click();
    const vol = page.getByRole('row').filter({ hasText: 'vol1' });
    await vol.getByLabel('Instance for vol1').selectOption({ label: 'web1' });
    await vol.getByRole('button', { name: 'Attach' }).click();
    await vol.getByText('in-use').waitFor({ timeout: 20_000 });
    await vol.getByText('web1').waitFor();
    await shoot(page, 'volumes-attached');
    await vol.getByRole('button', { name: 'Detach' }).click();
    await vol.getByText('available').waitFor({ timeout: 20_000 });
    await page.getByRole('link', { name: 'Instances' }).click();
    // Stop and start: the polled list follows the state, no reload.
    await row.getByRole('button', { name: 'Stop' }).click();
    await row.getByText('SHUTOFF', { exact: true }).waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: 'Start' }).click();
    await row.getByText('ACTIVE', { exact: true }).waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('shows every other page without an error', async () => {
    // Keyboard: the skip link comes first, the sections are links reached by Tab and followed by Enter.
    await page.reload();
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement.textContent')) === 'Volumes') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Volumes', exact: true }).waitFor();
    for (const [link, heading, shot] of [
      ['Volumes', 'Volumes', 'volumes'],
      ['Networks', 'Networks', 'networks'],
      ['Key pairs', 'Key pairs', 'keypairs'],
      ['Security groups', 'Security groups', 'security-groups'],
      ['Admin', 'Admin', 'admin'],
    ] as const) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await expect.poll(() => page.getByText('Loading…').count(), { timeout: 15_000 }).toBe(0);
      expect(await page.locator('.error').count()).toBe(0);
      await shoot(page, shot);
    }
    await page.getByRole('table', { name: 'Hypervisors' }).getByText('site1-host1').waitFor();
  });

  it('adds a security group rule and deletes an image', async () => {
    await page.getByRole('link', { name: 'Security groups', exact: true }).click();
    await page.getByRole('row').filter({ hasText: 'default' }).getByRole('button', { name: 'Manage rules' }).click();
    const rules = page.getByRole('table', { name: 'Rules of default' });
    const before = await rules.getByRole('row').count();
    await page.getByLabel('From port').fill('22');
    await page.getByLabel('To port').fill('21');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByText('The last port is not below the first.').waitFor();
    await page.getByLabel('To port').fill('22');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await expect.poll(() => rules.getByRole('row').count(), { timeout: 15_000 }).toBe(before + 1);
    await shoot(page, 'security-group-rules');
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    const image = page.getByRole('row').filter({ hasText: 'tiny-e2e' });
    await image.getByRole('button', { name: 'Delete' }).click();
    await image.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('switches project (rescoped token) and region (the other site’s dashboard)', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByLabel('Project').selectOption({ label: 'demo' });
    await page.getByText('Limit summary of project demo').waitFor();
    await page.getByLabel('Project').selectOption({ label: 'admin' });
    await page.getByText('Limit summary of project admin').waitFor();
    await page.getByLabel('Region').selectOption('site2');
    await page.waitForURL(`${site2}/dashboard/#/overview`);
    // A token in the fragment signs no one in silently (login CSRF): the user confirms who they will be.
    await page.getByText('Continue as admin (Default) in project admin on site2?').waitFor();
    expect(await page.evaluate("sessionStorage.getItem('brume.session')")).toBeNull();
    await shoot(page, 'handover');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('Limit summary of project admin').waitFor();
    expect(await page.getByLabel('Region').inputValue()).toBe('site2');
    await page.goto(`${site1}/dashboard/#/overview`);
    await page.getByText('Limit summary of project admin').waitFor();
  });

  it('asks before adopting a hand-over link opened fresh, and can decline it', async () => {
    const token = String(await page.evaluate("JSON.parse(sessionStorage.getItem('brume.session')).token"));
    const project = String(await page.evaluate("JSON.parse(sessionStorage.getItem('brume.session')).project.id"));
    const fragment = `#handoff=${encodeURIComponent(token)}&project=${project}&page=overview`;
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await fresh.goto(`${site2}/dashboard/${fragment}`);
      const question = fresh.getByText('Continue as admin (Default) in project admin on site2?');
      await question.waitFor();
      expect(fresh.url()).toBe(`${site2}/dashboard/#/overview`);
      expect(await fresh.getByRole('link', { name: 'Overview' }).count()).toBe(0);
      expect(await fresh.evaluate("sessionStorage.getItem('brume.session')")).toBeNull();
      // Keyboard: "Continue" has the focus, Tab reaches "Sign in as someone else".
      await fresh.keyboard.press('Tab');
      await fresh.keyboard.press('Enter');
      await fresh.getByRole('heading', { name: 'Sign in to Brume' }).waitFor();
      expect(await fresh.evaluate("sessionStorage.getItem('brume.session')")).toBeNull();
      await fresh.goto('about:blank');
      await fresh.goto(`${site2}/dashboard/${fragment}`);
      await question.waitFor();
      await fresh.keyboard.press('Enter');
      await fresh.getByText('Limit summary of project admin').waitFor();
    } finally {
      await fresh.close();
    }
  });

  it('stays readable on a narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('img', { name: /vCPUs:/ }).waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'overview-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows a stopped site as unreachable in the federation view', async () => {
    await page.getByRole('link', { name: 'Federation' }).click();
    const liveness = page.locator('[data-liveness="site2"]');
    await liveness.filter({ hasText: /^reachable$/ }).waitFor({ timeout: 30_000 });
    // site2's capacity is read from site2's own API (cross-origin, allowed for federation sites).
    const capacity = page.getByRole('table', { name: 'Capacity per site' });
    await capacity.getByRole('row').filter({ hasText: 'site2' }).getByText('0 of 8').waitFor({ timeout: 15_000 });
    await shoot(page, 'federation');
    stopSite(up, 'site2');
    await liveness.filter({ hasText: /unreachable for \d+ s/ }).waitFor({ timeout: 30_000 });
    await page.locator('g.node.down[data-site="site2"]').waitFor();
    await capacity.getByRole('row').filter({ hasText: 'site2' }).getByText('unreachable').first().waitFor();
    await shoot(page, 'federation-partitioned');
  });

  it('sends an expired or revoked token back to the login page with a message', async () => {
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem('brume.session') ?? '{}') as { token: string };
      sessionStorage.setItem('brume.session', JSON.stringify({ ...s, token: `${s.token.slice(0, -4)}AAAA` }));
    });
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Brume' }).waitFor();
    await page.getByText('Your session has expired').waitFor();
  });

  it('signs out, revoking the token', async () => {
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back on the page the session ended on (the federation view).
    await page.getByRole('heading', { name: 'Federation' }).waitFor();
    const token = String(await page.evaluate("JSON.parse(sessionStorage.getItem('brume.session')).token"));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Brume' }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('brume.session')")).toBeNull();
    await expect
      .poll(async () => (await fetch(`${site1}/compute/v2.1/servers`, { headers: { 'X-Auth-Token': token } })).status)
      .toBe(401);
  });
});

/** SIGTERM to the `brume site` child of `up` that serves `site` (a process this test started, through `up`). */
function stopSite(up: Running, site: string): void {
  const pid = up.child.pid;
  if (!pid) throw new Error('brume up has no pid');
  const children = execFileSync('pgrep', ['-P', String(pid), '-a'], { encoding: 'utf8' }).split('\n');
  const line = children.find((l) => l.includes(`/${site}/site-config.json`));
  const child = Number(line?.split(' ')[0]);
  if (!child) throw new Error(`no site process for ${site} among:\n${children.join('\n')}`);
  process.kill(child, 'SIGTERM');
}

/** A second project `demo` on which admin has a role, so the project switcher has somewhere to go. */
async function grantDemoProject(site: string): Promise<void> {
  const auth = await fetch(`${site}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORD } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const token = auth.headers.get('x-subject-token') ?? '';
  const body = (await auth.json()) as { token: { user: { id: string } } };
  const h = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
  const project = (await (
    await fetch(`${site}/v3/projects`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ project: { name: 'demo', domain_id: 'default' } }),
    })
  ).json()) as { project: { id: string } };
  const roles = (await (await fetch(`${site}/v3/roles?name=member`, { headers: h })).json()) as {
    roles: Array<{ id: string }>;
  };
  const role = roles.roles[0]?.id ?? '';
  const put = await fetch(`${site}/v3/projects/${project.project.id}/users/${body.token.user.id}/roles/${role}`, {
    method: 'PUT',
    headers: h,
  });
  expect(put.status).toBe(204);
}
