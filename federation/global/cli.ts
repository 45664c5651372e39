/**
 * `brume global [--site URL]... [--host 127.0.0.1] [--port 8000] [--public-url URL]`: the global API on Node in
 * front of a federation (one site URL is enough; the others are discovered). Sites also come from
 * `BRUME_GLOBAL_SITES`, tuning from `BRUME_GLOBAL_*` (config.ts). CLI code: writes to stdout/stderr.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { configFromEnv, parseGlobalConfig } from './config.ts';
import { startGlobalServer } from './node.ts';

/** Runs the command until SIGINT/SIGTERM; returns an exit code on a usage error. */
export async function globalCommand(argv: string[]): Promise<number | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      site: { type: 'string', multiple: true },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.BRUME_GLOBAL_PORT ?? '8000' },
      'public-url': { type: 'string' },
    },
  });
  const env = configFromEnv(process.env);
  const parsed = parseGlobalConfig({
    ...env,
    sites: values.site && values.site.length > 0 ? values.site : env.sites,
    publicUrl: values['public-url'] ?? env.publicUrl,
  });
  if (!parsed.ok) {
    process.stderr.write(`brume global: ${parsed.diagnostics.join('; ')}\n`);
    return 2;
  }
  const log = pino(
    { level: process.env.BRUME_LOG_LEVEL ?? 'warn', base: { service: 'brume-global' } },
    pino.destination(2),
  );
  const server = await startGlobalServer({ config: parsed.config, host: values.host, port: Number(values.port), log });
  process.stdout.write(`Brume global API listening on ${server.url} (sites: ${parsed.config.sites.join(', ')})\n`);
  process.stdout.write(`export OS_AUTH_URL=${server.url}/v3\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}
