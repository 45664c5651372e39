/**
 * `tsx site-agent/cli.ts --config FILE [--site S] [--host H] [--mqtt URL] [--driver fake|qemu] [--data-dir DIR]
 *  [--log-level L]` Runs one site agent. The config file is JSON or YAML (shared/config.ts documents every option);
 * flags override it, and BRUME_AGENT_LOG_LEVEL overrides the file's log level (the flag wins over both).
 * Bad config prints its diagnostics and exits 2. SIGINT/SIGTERM stop gracefully (status `offline`, then exit 0).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { parseAgentConfig } from '../shared/config.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { Logger } from '../shared/ports/logger.ts';
import { createAgent } from './agent.ts';
import { createDriver } from './drivers/index.ts';

const USAGE =
  'usage: site-agent --config FILE [--site S] [--host H] [--mqtt URL] [--driver fake|qemu] [--data-dir DIR] ' +
  '[--log-level trace|debug|info|warn|error|silent]';

function fail(lines: string[]): never {
  for (const l of lines) console.error(l);
  process.exit(2);
}

/** Reads flags and the config file into raw (unvalidated) agent config. */
function rawConfig(argv: string[]): Record<string, unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      site: { type: 'string' },
      host: { type: 'string' },
      mqtt: { type: 'string' },
      driver: { type: 'string' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let raw: Record<string, unknown> = {};
  if (values.config) {
    const text = readFileSync(values.config, 'utf8');
    const parsed: unknown = /\.json$/i.test(values.config) ? JSON.parse(text) : parseYaml(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      raw = parsed as Record<string, unknown>;
    else if (parsed !== null && parsed !== undefined) fail([`${values.config}: expected a mapping of options`]);
  }
  const flags: Record<string, unknown> = {
    site: values.site,
    host: values.host,
    mqttUrl: values.mqtt,
    driver: values.driver,
    dataDir: values['data-dir'],
    logLevel: values['log-level'] ?? process.env.BRUME_AGENT_LOG_LEVEL,
    providerBridge: process.env.BRUME_AGENT_PROVIDER_BRIDGE || undefined,
  };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) raw[k] = v;
  return raw;
}

async function main(): Promise<void> {
  let raw: Record<string, unknown>;
  try {
    raw = rawConfig(process.argv.slice(2));
  } catch (err) {
    fail([err instanceof Error ? err.message : String(err), USAGE]);
  }
  const parsed = parseAgentConfig(raw);
  if (!parsed.ok) fail(['invalid agent configuration:', ...parsed.diagnostics.map((d) => `  ${d}`)]);
  const { config } = parsed;
  const log: Logger = pino({ level: config.logLevel }).child({ site: config.site, host: config.host });
  const driver = await createDriver(config, systemClock, log);
  const agent = createAgent({ config, driver, clock: systemClock, log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    agent
      .stop()
      .then(() => driver.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err: String(err) }, 'unclean stop');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  log.info({ mqtt: config.mqttUrl, driver: config.driver }, 'agent starting');
  await agent.start();
  log.info({ bootId: agent.bootId }, 'agent online');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
