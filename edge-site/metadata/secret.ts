/**
 * The metadata service's shared secret and URL as agents need them. The secret is the site config's
 * `metadata.sharedSecret`, else one generated on first use and kept in `<dataDir>/metadata-secret` (mode 0600), so
 * it survives restarts and every module of the site reads the same one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SiteConfig } from '../../shared/config.ts';
import type { MetadataEndpoint } from '../../shared/metadata-signature.ts';

const cache = new Map<string, Promise<string>>();

async function loadOrCreate(dataDir: string): Promise<string> {
  const file = join(dataDir, 'metadata-secret');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing.length >= 16) return existing;
  await mkdir(dataDir, { recursive: true });
  // Key material, not an id: the IdSource port is for identifiers, this must be unpredictable.
  const secret = randomBytes(32).toString('hex');
  // `wx`: two modules racing at start-up keep the first one written.
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return (await readFile(file, 'utf8')).trim();
}

/** The shared secret of the site's metadata service. */
export function metadataSecret(config: SiteConfig): Promise<string> {
  const configured = config.metadata?.sharedSecret;
  if (configured) return Promise.resolve(configured);
  let p = cache.get(config.dataDir);
  if (!p) {
    p = loadOrCreate(config.dataDir);
    cache.set(config.dataDir, p);
    p.catch(() => cache.delete(config.dataDir));
  }
  return p;
}

/** The site's base URL as agents reach it (the bound port once listening). */
export function siteBaseUrl(config: SiteConfig): string {
  return (config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
}

/** What a host's metadata relay needs: where to ask, and the secret to sign with. */
export async function metadataEndpoint(config: SiteConfig): Promise<MetadataEndpoint> {
  return { url: siteBaseUrl(config), secret: await metadataSecret(config) };
}
