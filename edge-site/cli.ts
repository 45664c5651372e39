/**
 * The `brume` command line. Only this file (and site-agent/cli.ts) reads the environment and config files.
 *
 *   brume up    [--data-dir ./.brume] [--port 5000] [--host 127.0.0.1] [--mqtt-url URL] [--mqtt-port 1883]
 *               [--agents 2] [--site site1] [--driver auto|qemu|fake] [--agent-log-level warn]
 *               [--sites N] [--federation libp2p|mqtt] [--p2p-port 4001]
 *       A whole local site: API + embedded MQTT broker + N agent processes, in the foreground. `auto` runs real
 *       VMs (qemu driver) when qemu-system-x86_64 is installed, registering the tiny guest as the public image
 *       `brume-tiny` (built once into BRUME_GUEST_CACHE, default ./.brume/cache/guest); else the fake driver.
 *       `--sites N` (default 3 when the federation transport is available, else 1): N federated sites `site1..N`,
 *       one `brume site` process each (API on port, port+1, …; MQTT on mqtt-port, mqtt-port+1, …; libp2p on
 *       p2p-port, p2p-port+1, …; port 0 picks free ones), each with its agents; `--federation mqtt` federates
 *       through one shared broker started by `up` instead of libp2p. `--sites 1` is the single site above.
 *   brume site  --config FILE     one site (JSON or YAML; see shared/config.ts for every option and default)
 *   brume agent --config FILE     one site agent (see site-agent/cli.ts)
 *   brume global [--site URL]... [--port 8000]   the global API on Node (federation/global/cli.ts); `up --sites N`
 *       starts one too, on --global-port (default 8000), and prints its OS_* block first.
 *   brume scenario run FILE [--mode sim|proc|netns] [--seed N] [--out DIR]
 *       A partition/split-brain experiment with its report (see scenarios/README.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { createFederatedSite } from '../federation/site/federated-site.ts';
import { openTransport, transportMissing } from '../federation/site/open-transport.ts';
import { parseSiteConfig, type SiteConfig } from '../shared/config.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { systemIds, toHex } from '../shared/ports/ids.ts';
import { upSites } from './cli-sites.ts';
import { checkAgentDir, chooseDriver, type DriverChoice, ensureGuestImage, GUEST_IMAGE_NAME } from './cli-vms.ts';
import { seedDefaultFlavors } from './compute/index.ts';
import { createEdgeSite, type EdgeSite } from './create-edge-site.ts';

const repoRoot = resolve(import.meta.dirname, '..');

function fail(message: string, code = 2): never {
  console.error(`brume: ${message}`);
  process.exit(code);
}

function readConfigFile(path: string): unknown {
  if (!existsSync(path)) fail(`config file ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    fail(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${String(err)}`);
  }
}

function siteConfigOrExit(raw: unknown): SiteConfig {
  const parsed = parseSiteConfig(raw);
  if (!parsed.ok) fail(`invalid site configuration:\n  ${parsed.diagnostics.join('\n  ')}`);
  return parsed.config;
}

/** The admin password: from the environment, else the one kept in the data folder, else a new one (kept 0600). */
function adminPassword(config: SiteConfig): { password: string; generated: boolean } {
  const fromEnv = process.env.BRUME_ADMIN_PASSWORD ?? config.bootstrap.adminPassword;
  if (fromEnv) return { password: fromEnv, generated: false };
  const file = join(config.dataDir, 'admin-password');
  if (existsSync(file)) return { password: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const password = toHex(systemIds().bytes(12));
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, generated: true };
}

function logger(config: SiteConfig) {
  const level = process.env.BRUME_LOG_LEVEL ?? (config.logLevel === 'info' ? 'warn' : config.logLevel);
  return pino({ level, base: { service: 'brume-site' } }, pino.destination(2));
}

/** Starts a site from its config, bootstraps identity and flavors; returns it listening. */
/** A plain site, or a federated one when `config.federation.enabled` (its transport opened first). */
async function buildSite(config: SiteConfig): Promise<EdgeSite> {
  const log = logger(config);
  if (!config.federation.enabled) return createEdgeSite({ config, log });
  let transport: Awaited<ReturnType<typeof openTransport>>;
  try {
    transport = await openTransport(config, systemClock, log);
  } catch (err) {
    fail(`cannot open the ${config.federation.transport} federation transport: ${(err as Error).message}`, 1);
  }
  return createFederatedSite({ config, log, transport });
}

async function startSite(config: SiteConfig): Promise<{ site: EdgeSite; password: string; generated: boolean }> {
  const site = await buildSite(config);
  let url: string;
  try {
    url = await site.listen();
  } catch (err) {
    await site.stop();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fail(`port ${config.api.port} on ${config.api.host} is in use (choose --port)`);
    throw err;
  }
  const { password, generated } = adminPassword(config);
  await site.identity.bootstrap({
    adminUser: config.bootstrap.adminUser,
    adminPassword: password,
    adminProject: config.bootstrap.adminProject,
    publicUrl: url,
  });
  await seedDefaultFlavors(site.deps.catalog, site.deps.clock);
  return { site, password, generated };
}

function exportBlock(site: Pick<EdgeSite, 'config' | 'url'>, password: string): string {
  const c = site.config;
  return [
    `export OS_AUTH_URL=${site.url}/v3`,
    `export OS_IDENTITY_API_VERSION=3`,
    `export OS_USERNAME=${c.bootstrap.adminUser}`,
    `export OS_PASSWORD=${password}`,
    `export OS_PROJECT_NAME=${c.bootstrap.adminProject}`,
    `export OS_USER_DOMAIN_NAME=Default`,
    `export OS_PROJECT_DOMAIN_NAME=Default`,
    `export OS_REGION_NAME=${c.region}`,
  ].join('\n');
}

/** Stops everything once on SIGINT/SIGTERM, then exits. */
function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.error(`brume: ${signal} received, stopping`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('brume: error while stopping', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

function spawnAgent(args: string[]): ChildProcess {
  return spawn(process.execPath, [join(repoRoot, 'site-agent', 'cli.ts'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string', default: process.env.BRUME_DATA_DIR ?? './.brume' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.BRUME_PORT ?? '5000' },
      'mqtt-url': { type: 'string' },
      'mqtt-port': { type: 'string', default: '1883' },
      agents: { type: 'string', default: '2' },
      site: { type: 'string', default: 'site1' },
      driver: { type: 'string', default: process.env.BRUME_DRIVER ?? 'auto' },
      'agent-log-level': { type: 'string', default: process.env.BRUME_AGENT_LOG_LEVEL ?? 'warn' },
      sites: { type: 'string', default: process.env.BRUME_SITES },
      federation: { type: 'string', default: process.env.BRUME_FEDERATION ?? 'libp2p' },
      'p2p-port': { type: 'string', default: '4001' },
      'global-port': { type: 'string', default: process.env.BRUME_GLOBAL_PORT ?? '8000' },
    },
  });
  const federation = values.federation;
  if (federation !== 'libp2p' && federation !== 'mqtt') fail(`--federation must be libp2p or mqtt, not ${federation}`);
  const sites = await siteCount(values.sites, federation);
  let choice: DriverChoice;
  try {
    choice = await chooseDriver(values.driver);
  } catch (err) {
    fail((err as Error).message);
  }
  const dataDir = resolve(values['data-dir']);
  if (sites > 1) {
    const password = adminPassword(siteConfigOrExit({ dataDir })).password;
    return upSites({
      sites,
      federation,
      dataDir,
      host: values.host,
      port: Number(values.port),
      mqttPort: Number(values['mqtt-port']),
      p2pPort: Number(values['p2p-port']),
      globalPort: Number(values['global-port']),
      agents: Number(values.agents),
      driver: choice,
      agentLogLevel: values['agent-log-level'],
      password,
      guestCache:
        choice.driver === 'qemu'
          ? resolve(process.env.BRUME_GUEST_CACHE ?? join(repoRoot, '.brume', 'cache', 'guest'))
          : undefined,
      cli: join(repoRoot, 'edge-site', 'cli.ts'),
      spawnAgent,
      stopChild,
      onSignal,
      fail,
      print: (line) => console.log(line),
    });
  }
  const siteName = values.site;
  const config = siteConfigOrExit({
    site: siteName,
    dataDir: join(dataDir, siteName),
    api: { host: values.host, port: Number(values.port) },
    mqtt: values['mqtt-url'] ? { url: values['mqtt-url'] } : { host: values.host, port: Number(values['mqtt-port']) },
  });
  const agentDir = (host: string) => join(dataDir, siteName, 'agents', host);
  if (choice.driver === 'qemu') {
    try {
      checkAgentDir(agentDir(`${siteName}-host${values.agents}`));
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const { site, password, generated } = await startSite(config);
  let imageLine = '';
  if (choice.driver === 'qemu') {
    const cacheDir = resolve(process.env.BRUME_GUEST_CACHE ?? join(repoRoot, '.brume', 'cache', 'guest'));
    try {
      const admin = { user: config.bootstrap.adminUser, password, project: config.bootstrap.adminProject };
      const image = await ensureGuestImage(site, admin, cacheDir);
      imageLine = `Public image ${GUEST_IMAGE_NAME} (${image.id}, iso): ${image.created ? 'registered now' : 'already there'}.`;
    } catch (err) {
      // Real VMs still run from images users upload; only the ready-made test image is missing.
      imageLine = `The guest image ${GUEST_IMAGE_NAME} is NOT registered (${(err as Error).message}); upload one yourself.`;
    }
  }
  const agents: ChildProcess[] = [];
  for (let i = 1; i <= Number(values.agents); i++) {
    const host = `${siteName}-host${i}`;
    agents.push(
      spawnAgent([
        '--site',
        siteName,
        '--host',
        host,
        '--mqtt',
        site.mqttUrl,
        '--driver',
        choice.driver,
        '--data-dir',
        agentDir(host),
        '--log-level',
        values['agent-log-level'],
      ]),
    );
  }
  onSignal(async () => {
    await Promise.all(agents.map(stopChild));
    await site.stop();
  });
  console.log(`Brume site ${siteName} is up: API ${site.url}, MQTT ${site.mqttUrl}, data in ${config.dataDir}`);
  console.log(`Dashboard: ${site.url}/dashboard/ (sign in as admin)`);
  console.log(
    choice.driver === 'qemu'
      ? `${agents.length} agent(s) with the qemu hypervisor driver (real VMs): ${choice.reason}.`
      : `${agents.length} agent(s) with the fake hypervisor driver (no real VMs): ${choice.reason}.`,
  );
  if (imageLine) console.log(imageLine);
  if (generated) console.log(`Generated the admin password (kept in ${join(config.dataDir, 'admin-password')}).`);
  console.log(`\n# ${siteName} (region ${config.region})\n${exportBlock(site, password)}\n`);
  console.log('Press Ctrl-C to stop.');
}

/** `--sites`: as asked; else 3 when the federation transport loads, else 1 saying why. */
async function siteCount(asked: string | undefined, federation: 'libp2p' | 'mqtt'): Promise<number> {
  if (asked !== undefined) {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 1 || n > 16) fail(`--sites must be an integer from 1 to 16, not ${asked}`);
    const missing = n > 1 ? await transportMissing(federation) : undefined;
    if (missing) fail(`--sites ${n} needs the ${federation} federation transport: ${missing}`);
    return n;
  }
  const missing = await transportMissing(federation);
  if (!missing) return 3;
  console.error(`brume: starting 1 site, not a federation of 3: ${missing} (pass --sites 1 to silence this)`);
  return 1;
}

async function siteCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'guest-image': { type: 'string' } },
  });
  const config = siteConfigOrExit(values.config ? readConfigFile(values.config) : {});
  const { site, password } = await startSite(config);
  onSignal(() => site.stop());
  // `--guest-image CACHE_DIR`: register brume-tiny here (brume up --sites N does it at site1 for the qemu driver).
  if (values['guest-image']) console.log(await guestImageLine(site, password, resolve(values['guest-image'])));
  console.log(`Brume site ${config.site} listening on ${site.url} (MQTT ${site.mqttUrl})`);
  console.log(exportBlock(site, password));
}

/** Registers the tiny guest image at `site`; says what happened (a failure is a warning: users can upload one). */
async function guestImageLine(site: EdgeSite, password: string, cacheDir: string): Promise<string> {
  const c = site.config.bootstrap;
  try {
    const image = await ensureGuestImage(site, { user: c.adminUser, password, project: c.adminProject }, cacheDir);
    return `Public image ${GUEST_IMAGE_NAME} (${image.id}, iso) at ${site.config.site}: ${image.created ? 'registered now' : 'already there'}.`;
  } catch (err) {
    return `The guest image ${GUEST_IMAGE_NAME} is NOT registered (${(err as Error).message}); upload one yourself.`;
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'up':
      return up(rest);
    case 'site':
      return siteCommand(rest);
    case 'scenario': {
      // Loaded lazily: the experiment runner (scenarios/) is not needed to run a site.
      const { scenarioCommand } = await import('../scenarios/cli.ts');
      process.exit(await scenarioCommand(rest));
      return;
    }
    case 'global': {
      // Loaded lazily, like the scenario runner: the global API is not needed to run a site.
      const { globalCommand } = await import('../federation/global/cli.ts');
      const code = await globalCommand(rest);
      if (code !== undefined) process.exit(code);
      return;
    }
    case 'agent': {
      const child = spawnAgent(rest);
      onSignal(() => stopChild(child));
      child.once('exit', (code) => process.exit(code ?? 1));
      return;
    }
    default:
      console.error(
        'usage: brume up [options] | brume site --config FILE | brume agent --config FILE | brume scenario run FILE | brume global --site URL',
      );
      process.exit(command === undefined || command === '--help' ? 0 : 2);
  }
}

main().catch((err: unknown) => {
  console.error('brume: fatal error', err);
  process.exit(1);
});
