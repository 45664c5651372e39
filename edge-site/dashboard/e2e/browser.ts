/** Headless Debian Chromium driven by playwright-core, for the dashboard's end-to-end test. */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium (CI installs it); the test is skipped, saying why, without it. */
export const CHROMIUM = process.env.BRUME_CHROMIUM ?? '/usr/bin/chromium';

/** Where the test run saves its screenshots (gitignored). */
export const SCREENSHOTS = resolve(import.meta.dirname, '..', '..', '..', 'tmp', 'dashboard-screenshots');

/** True when the browser binary exists. */
export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Launches headless Chromium with nothing that reaches beyond loopback (playwright gives it a fresh profile). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Saves a full-page screenshot as `<name>.png`. */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
