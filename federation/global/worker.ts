/**
 * The global API as a Cloudflare Worker (`wrangler dev` / workerd). Configuration comes from the Worker's vars:
 * `BRUME_GLOBAL_SITES` (site URLs, or one bootstrap site), optional `BRUME_GLOBAL_URL` and `BRUME_GLOBAL_*` numbers (see
 * config.ts). The app and its caches (site list, breakers, keys, resource homes) live as long as the isolate.
 * Imports nothing from `node:*`.
 */
import { silentLogger } from '../../shared/ports/logger.ts';
import { createGlobalApp } from './app.ts';
import { configFromEnv, parseGlobalConfig } from './config.ts';

type App = ReturnType<typeof createGlobalApp>['app'];
let app: App | undefined;

/** The Worker's module entry. */
export default {
  fetch(req: Request, env: Record<string, unknown>, ctx?: Parameters<App['fetch']>[2]): Response | Promise<Response> {
    if (!app) {
      const parsed = parseGlobalConfig(configFromEnv(env ?? {}));
      if (!parsed.ok) {
        return new Response(
          JSON.stringify({ error: { code: 500, title: 'Misconfigured', message: parsed.diagnostics.join('; ') } }),
          {
            status: 500,
            headers: { 'content-type': 'application/json' },
          },
        );
      }
      app = createGlobalApp({
        config: parsed.config,
        fetch: (r) => fetch(r),
        now: () => Date.now(),
        log: silentLogger,
      }).app;
    }
    return app.fetch(req, env, ctx);
  },
};
