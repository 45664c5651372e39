import { z } from 'zod';

/**
 * The global API's configuration. Runtime-neutral: the Worker builds it from wrangler vars, Node from flags/env.
 * Every option, its values and default:
 * - `sites`: site base URLs to start from (one is enough: the rest are discovered from `/federation/v1/sites` and
 *   from token catalogs). Required, at least one.
 * - `publicUrl`: this API's own base URL, used in rewritten catalogs and links; default: the request's origin.
 * - `timeoutMs`: per forwarded request (default 30000; image uploads stream, so keep it generous).
 * - `fanOutTimeoutMs`: per region in a fan-out list (default 5000): a slow region is named missing, not waited on.
 * - `failures`: consecutive failures that open a site's circuit (default 2).
 * - `cooldownMs`: how long an open circuit refuses requests before one probe is let through (default 10000).
 * - `refreshMs`: how old the site list may get before it is re-read from a site (default 15000).
 * - `allRegion`: the name of the virtual region whose endpoints fan lists out and place creates (default `all`).
 */
export interface GlobalConfig {
  sites: string[];
  publicUrl: string | undefined;
  timeoutMs: number;
  fanOutTimeoutMs: number;
  failures: number;
  cooldownMs: number;
  refreshMs: number;
  allRegion: string;
}

const url = z
  .string()
  .url()
  .transform((u) => u.replace(/\/+$/, ''));
const positive = (d: number) => z.coerce.number().int().positive().default(d);

const schema = z.object({
  sites: z.array(url).min(1, 'name at least one site URL (BRUME_GLOBAL_SITES or --site)'),
  publicUrl: url.optional(),
  timeoutMs: positive(30_000),
  fanOutTimeoutMs: positive(5_000),
  failures: positive(2),
  cooldownMs: positive(10_000),
  refreshMs: positive(15_000),
  allRegion: z.string().min(1).default('all'),
});

/** Raw input: typed values, or the strings of an environment. */
export type GlobalConfigInput = Partial<Record<keyof GlobalConfig, unknown>>;

/** Validates and defaults a raw config; `ok: false` carries one diagnostic per problem. */
export function parseGlobalConfig(
  input: GlobalConfigInput,
): { ok: true; config: GlobalConfig } | { ok: false; diagnostics: string[] } {
  const r = schema.safeParse(input);
  if (!r.success) return { ok: false, diagnostics: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  return { ok: true, config: { ...r.data, publicUrl: r.data.publicUrl } };
}

/** Reads `BRUME_GLOBAL_SITES` (comma- or space-separated URLs), `BRUME_GLOBAL_URL` and `BRUME_GLOBAL_*` numbers. */
export function configFromEnv(env: Record<string, unknown>): GlobalConfigInput {
  const str = (k: string) => (typeof env[k] === 'string' && env[k] !== '' ? (env[k] as string) : undefined);
  return {
    sites: (str('BRUME_GLOBAL_SITES') ?? '').split(/[\s,]+/).filter((s) => s !== ''),
    publicUrl: str('BRUME_GLOBAL_URL'),
    timeoutMs: str('BRUME_GLOBAL_TIMEOUT_MS'),
    fanOutTimeoutMs: str('BRUME_GLOBAL_FANOUT_TIMEOUT_MS'),
    failures: str('BRUME_GLOBAL_FAILURES'),
    cooldownMs: str('BRUME_GLOBAL_COOLDOWN_MS'),
    refreshMs: str('BRUME_GLOBAL_REFRESH_MS'),
    allRegion: str('BRUME_GLOBAL_ALL_REGION'),
  };
}
