/**
 * `brume up --sites N`: N federated sites on loopback, one `brume site --config <generated>` process each (own data
 * folder, API port, MQTT broker, agents), joined over libp2p (every site bootstraps from the others' addresses) or
 * through one MQTT broker that `up` runs. CLI code: prints to the console.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseGlobalConfig } from '../federation/global/config.ts';
import { type GlobalServer, startGlobalServer } from '../federation/global/node.ts';
import type { DriverChoice } from './cli-vms.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from './fleet/broker.ts';

/** What `brume up` hands over. */
export interface UpSitesOptions {
  sites: number;
  federation: 'libp2p' | 'mqtt';
  dataDir: string;
  host: string;
  /** First API port (0: free ports). */
  port: number;
  mqttPort: number;
  p2pPort: number;
  /** Port of the global API in front of the sites (0: a free one; taken: a free one). */
  globalPort?: number;
  agents: number;
  driver: DriverChoice;
  agentLogLevel: string;
  password: string;
  /** qemu driver: site1 registers the tiny guest image from this cache (its bytes live at site1). */
  guestCache?: string;
  /** Path of edge-site/cli.ts. */
  cli: string;
  spawnAgent(args: string[]): ChildProcess;
  stopChild(child: ChildProcess): Promise<void>;
  onSignal(stop: () => Promise<void>): void;
  fail(message: string, code?: number): never;
  /** Writes a line for the user (stdout). */
  print(line: string): void;
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function isFree(host: string, port: number): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

/**
 * Port of the `i`-th site: `base + i`, or a free one when `base` is 0 or (for sites after the first, whose ports
 * nobody asked for by number) when `base + i` is taken — other local runs may hold the next ports.
 */
async function portFor(host: string, base: number, i: number): Promise<number> {
  if (base === 0) return freePort(host);
  if (i === 0 || (await isFree(host, base + i))) return base + i;
  return freePort(host);
}

const READY = /^Brume site (\S+) listening on (\S+) \(MQTT (\S+)\)/;

/** Spawns one site and resolves with its API and MQTT URLs once it listens (rejects if it exits first). */
function spawnSite(
  cli: string,
  args: string[],
): { child: ChildProcess; ready: Promise<{ url: string; mqtt: string; notes: string[] }> } {
  const child = spawn(process.execPath, [cli, 'site', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const notes: string[] = [];
  const ready = new Promise<{ url: string; mqtt: string; notes: string[] }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const m = READY.exec(line);
      if (m?.[2] && m[3]) resolve({ url: m[2], mqtt: m[3], notes });
      else if (/guest image|^Public image/.test(line)) notes.push(line);
    });
    child.once('exit', (code) => reject(new Error(`site process exited (${code}) before listening`)));
  });
  return { child, ready };
}

/** Starts the federation, prints one `export OS_*` block per site, and stops everything on SIGINT/SIGTERM. */
export async function upSites(o: UpSitesOptions): Promise<void> {
  const names = Array.from({ length: o.sites }, (_, i) => `site${i + 1}`);
  const ports: Array<{ api: number; mqtt: number; p2p: number }> = [];
  for (const [i] of names.entries()) {
    ports.push({
      api: await portFor(o.host, o.port, i),
      mqtt: await portFor(o.host, o.mqttPort, i),
      // A fixed first libp2p port unless the API port is picked too (tests, parallel runs).
      p2p: await portFor(o.host, o.port === 0 ? 0 : o.p2pPort, o.p2pPort === 0 ? 0 : i),
    });
  }
  const p2p = ports.map((p) => p.p2p);
  // The global API's port is chosen before the sites start: their configs name it (stacks route through it).
  const wantedGlobal = o.globalPort ?? 8000;
  const globalPort = wantedGlobal !== 0 && (await isFree(o.host, wantedGlobal)) ? wantedGlobal : await freePort(o.host);
  let broker: EmbeddedBroker | undefined;
  if (o.federation === 'mqtt') broker = await startEmbeddedBroker(o.host, 0);

  const children: ChildProcess[] = [];
  const agents: ChildProcess[] = [];
  let global: GlobalServer | undefined;
  const stopAll = async () => {
    await global?.close();
    await Promise.all(agents.map(o.stopChild));
    await Promise.all(children.map(o.stopChild));
    await broker?.close();
  };
  o.onSignal(stopAll);

  const started = names.map((name, i) => {
    const dataDir = join(o.dataDir, name);
    mkdirSync(dataDir, { recursive: true });
    const config = {
      site: name,
      dataDir,
      api: { host: o.host, port: ports[i]?.api ?? 0 },
      mqtt: { host: o.host, port: ports[i]?.mqtt ?? 0 },
      bootstrap: { adminPassword: o.password },
      federation: {
        enabled: true,
        transport: o.federation,
        listen: `/ip4/${o.host}/tcp/${p2p[i]}`,
        bootstrap: p2p.filter((_, j) => j !== i).map((port) => `/ip4/${o.host}/tcp/${port}`),
        mqttUrl: broker?.url,
        globalUrl: `http://${o.host}:${globalPort}`,
      },
    };
    const file = join(dataDir, 'site-config.json');
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const guest = i === 0 && o.guestCache ? ['--guest-image', o.guestCache] : [];
    const s = spawnSite(o.cli, ['--config', file, ...guest]);
    children.push(s.child);
    return { name, dataDir, ...s };
  });

  let urls: Array<{ url: string; mqtt: string; notes: string[] }>;
  try {
    urls = await Promise.all(started.map((s) => s.ready));
  } catch (err) {
    await stopAll();
    o.fail(`a site did not start: ${(err as Error).message}`, 1);
  }
  for (const [i, s] of started.entries()) {
    for (let h = 1; h <= o.agents; h++) {
      const host = `${s.name}-host${h}`;
      agents.push(
        o.spawnAgent([
          '--site',
          s.name,
          '--host',
          host,
          '--mqtt',
          urls[i]?.mqtt ?? '',
          '--driver',
          o.driver.driver,
          '--data-dir',
          join(s.dataDir, 'agents', host),
          '--log-level',
          o.agentLogLevel,
        ]),
      );
    }
  }
  const globalConfig = parseGlobalConfig({ sites: urls.map((u) => u.url) });
  if (!globalConfig.ok) {
    await stopAll();
    o.fail(`global API: ${globalConfig.diagnostics.join('; ')}`, 1);
  }
  const gp = globalPort;
  // Its port taken (another local run, parallel tests): a free one; the OS_* block says which.
  global = await startGlobalServer({ config: globalConfig.config, host: o.host, port: gp }).catch(() =>
    startGlobalServer({ config: globalConfig.config, host: o.host, port: 0 }),
  );
  const via = o.federation === 'mqtt' ? `one MQTT broker (${broker?.url})` : 'libp2p';
  o.print(`Brume federation of ${o.sites} sites is up, federated over ${via}; data in ${o.dataDir}`);
  o.print(`${o.agents} agent(s) per site with the ${o.driver.driver} hypervisor driver: ${o.driver.reason}.`);
  for (const u of urls) for (const note of u.notes) o.print(note);
  o.print(
    `\n# The whole federation through the global API ${global.url} (regions ${names.join(', ')}; region "all": ` +
      'lists fan out, creates are placed). Pick a region with --os-region-name.',
  );
  o.print(
    [
      `export OS_AUTH_URL=${global.url}/v3`,
      'export OS_IDENTITY_API_VERSION=3',
      'export OS_USERNAME=admin',
      `export OS_PASSWORD=${o.password}`,
      'export OS_PROJECT_NAME=admin',
      'export OS_USER_DOMAIN_NAME=Default',
      'export OS_PROJECT_DOMAIN_NAME=Default',
      `export OS_REGION_NAME=${names[0]}`,
    ].join('\n'),
  );
  for (const [i, s] of started.entries()) {
    o.print(
      `\n# ${s.name} (region ${s.name}): API ${urls[i]?.url}, MQTT ${urls[i]?.mqtt}, dashboard ${urls[i]?.url}/dashboard/`,
    );
    o.print(
      [
        `export OS_AUTH_URL=${urls[i]?.url}/v3`,
        'export OS_IDENTITY_API_VERSION=3',
        'export OS_USERNAME=admin',
        `export OS_PASSWORD=${o.password}`,
        'export OS_PROJECT_NAME=admin',
        'export OS_USER_DOMAIN_NAME=Default',
        'export OS_PROJECT_DOMAIN_NAME=Default',
        `export OS_REGION_NAME=${s.name}`,
      ].join('\n'),
    );
  }
  o.print('\nPress Ctrl-C to stop.');
}
