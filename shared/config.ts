/**
 * Configuration: raw (file/env) -> schema -> fully defaulted config + diagnostics (workers-sdk's pattern). Only the
 * CLI (`edge-site/cli.ts`, `site-agent/cli.ts`) reads files and the environment; everything else takes these objects.
 */
import { z } from 'zod';

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, starting with a letter');

/** Every option of a site, with its default. */
export const siteConfigSchema = z.object({
  /** This site's name; also its region id unless `region` is given. */
  site: name.default('site1'),
  /** Keystone region id of this site (what `OS_REGION_NAME` must say). Default: the site name. */
  region: z.string().min(1).optional(),
  /** Folder for the SQLite file, image store, keys. */
  dataDir: z.string().default('./.brume/site1'),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(5000),
      /** URL clients reach the API at; default `http://host:port`. */
      publicUrl: z.string().url().optional(),
      /** Largest JSON request body in bytes (image uploads are not limited by this). */
      maxBodyBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
    })
    .default({ host: '127.0.0.1', port: 5000, maxBodyBytes: 1024 * 1024 }),
  mqtt: z
    .object({
      /** An external broker (e.g. `mqtt://127.0.0.1:1883`); when absent the site embeds aedes. */
      url: z.string().optional(),
      /** Where the embedded broker listens. Port 0 picks a free one. */
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(1883),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .default({ host: '127.0.0.1', port: 1883 }),
  bootstrap: z
    .object({
      adminUser: z.string().default('admin'),
      /** Generated (and printed once, then kept in the data folder) when not given. */
      adminPassword: z.string().optional(),
      adminProject: z.string().default('admin'),
    })
    .default({ adminUser: 'admin', adminProject: 'admin' }),
  tokens: z
    .object({
      /** Token lifetime. */
      ttlSeconds: z.number().int().positive().default(3600),
      alg: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    })
    .default({ ttlSeconds: 3600, alg: 'EdDSA' }),
  scheduler: z
    .object({
      cpuAllocationRatio: z.number().positive().default(16),
      ramAllocationRatio: z.number().positive().default(1.5),
      diskAllocationRatio: z.number().positive().default(1),
      /** `spread` places on the host with most free RAM (Nova's default weigher); `pack` the least. */
      ramWeigher: z.enum(['spread', 'pack']).default('spread'),
    })
    .default({ cpuAllocationRatio: 16, ramAllocationRatio: 1.5, diskAllocationRatio: 1, ramWeigher: 'spread' }),
  agents: z
    .object({
      heartbeatSeconds: z.number().positive().default(5),
      /** An agent silent for this long is down (its last will also marks it down at once). */
      deadAfterSeconds: z.number().positive().default(30),
      /** How long a command waits for an agent's reply. */
      commandTimeoutSeconds: z.number().positive().default(120),
    })
    .default({ heartbeatSeconds: 5, deadAfterSeconds: 30, commandTimeoutSeconds: 120 }),
  /** Joining other sites (federation/): the replicated catalog synced over a site-to-site transport. */
  federation: z
    .object({
      /** Off: the site keeps its catalog in plain SQLite and talks to no peer. */
      enabled: z.boolean().default(false),
      /** `libp2p` (TCP + noise + yamux), `mqtt` (a shared broker at `mqttUrl`), or `none` (replicated catalog, no peers). */
      transport: z.enum(['libp2p', 'mqtt', 'none']).default('libp2p'),
      /** libp2p listen multiaddr. */
      listen: z.string().default('/ip4/127.0.0.1/tcp/0'),
      /** Peers to dial at start (libp2p multiaddrs). */
      bootstrap: z.array(z.string()).default([]),
      /** The shared broker of the `mqtt` transport. */
      mqttUrl: z.string().optional(),
      /** How often this site refreshes `last_seen` in its own `sites` record (one small write each time). */
      heartbeatSeconds: z.number().positive().default(15),
      /** Anti-entropy period of catalog sync. */
      syncIntervalMs: z.number().int().positive().default(1000),
      /**
       * Catalog sync overlay (federation/sync/overlay.ts): up to `fullMeshMax` reachable sites (default 8) every peer
       * gets pushes; above, each site talks to `successors` ring successors and predecessors (default 2) plus
       * log2(n) fingers, and merges are relayed. `pushDelayMs` (default 0) batches bursts of writes per peer.
       */
      syncOverlay: z
        .object({
          fullMeshMax: z.number().int().min(1).optional(),
          successors: z.number().int().min(1).optional(),
          pushDelayMs: z.number().int().min(0).optional(),
        })
        .optional(),
      /**
       * Shared secret a site proves it holds when it first contacts peers that do not know its key yet (see
       * federation/README.md, "Trust"). Unset: a new site's key is trusted on first use.
       */
      joinSecret: z.string().min(16).optional(),
      /**
       * The federation's global API (`brume up` sets it): stacks reach other sites' resources through it
       * (`<globalUrl>/r/<region>/…`) instead of straight at the site's URL.
       */
      globalUrl: z.string().url().optional(),
    })
    .default({
      enabled: false,
      transport: 'libp2p',
      listen: '/ip4/127.0.0.1/tcp/0',
      bootstrap: [],
      heartbeatSeconds: 15,
      syncIntervalMs: 1000,
    }),
  /**
   * The metadata service (169.254.169.254 through the agents' relays): the secret agents sign instance ids with
   * (Nova's `metadata_proxy_shared_secret`). Unset: generated once and kept in the data folder (`metadata-secret`).
   */
  metadata: z.object({ sharedSecret: z.string().min(16).optional() }).optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** A site's fully defaulted configuration. */
export type SiteConfig = z.infer<typeof siteConfigSchema> & { region: string };

/** Every option of a site agent, with its default. */
export const agentConfigSchema = z.object({
  /** The site this agent belongs to (topic namespace). */
  site: name.default('site1'),
  /** This host's name, unique within the site. */
  host: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/)
    .default('host1'),
  mqttUrl: z.string().default('mqtt://127.0.0.1:1883'),
  mqttUsername: z.string().optional(),
  mqttPassword: z.string().optional(),
  availabilityZone: z.string().default('nova'),
  dataDir: z.string().default('./.brume/site1/agent-host1'),
  heartbeatSeconds: z.number().positive().default(5),
  driver: z.enum(['fake', 'qemu']).default('fake'),
  /**
   * NICs of qemu VMs: `auto` = the namespace data plane (bridges, taps, dnsmasq, nftables security groups) when the
   * agent runs as root with `ip netns`, nft and dnsmasq, else user-mode; `user` = user-mode NICs only (no VM-to-VM).
   */
  network: z.enum(['auto', 'user']).default('auto'),
  /**
   * `[namespace:]bridge` that router:external networks are plugged into (Neutron's bridge_mappings): each external
   * network's bridge on this host gets a veth into it, so router gateways and floating IPs reach the outside. The
   * bridge must exist (the operator's `br-ex`; tests use a bridge in a namespace of their own). Unset: external
   * networks stay local to the host. Env: BRUME_AGENT_PROVIDER_BRIDGE.
   */
  providerBridge: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]{1,15}$/)
    .optional(),
  /** The address this host serves volume exports (NBD) on to the site's other hosts. */
  storageAddress: z.string().default('127.0.0.1'),
  /** Fake driver: the host it pretends to be, and injected delays/failures. */
  fake: z
    .object({
      vcpus: z.number().int().positive().default(8),
      memoryMiB: z.number().int().positive().default(16384),
      diskGiB: z.number().int().positive().default(200),
      spawnDelayMs: z.number().int().min(0).default(50),
      actionDelayMs: z.number().int().min(0).default(10),
      /** Fraction (0..1) of spawns that fail. */
      spawnFailureRate: z.number().min(0).max(1).default(0),
    })
    .default({ vcpus: 8, memoryMiB: 16384, diskGiB: 200, spawnDelayMs: 50, actionDelayMs: 10, spawnFailureRate: 0 }),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

/** A site agent's fully defaulted configuration. */
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Result of parsing raw config: the config, or the list of what is wrong with it. */
export type Parsed<T> = { ok: true; config: T } | { ok: false; diagnostics: string[] };

function diagnostics(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

/** Validates and defaults a site's raw configuration. */
export function parseSiteConfig(raw: unknown): Parsed<SiteConfig> {
  const r = siteConfigSchema.safeParse(raw ?? {});
  if (!r.success) return { ok: false, diagnostics: diagnostics(r.error) };
  return { ok: true, config: { ...r.data, region: r.data.region ?? r.data.site } };
}

/** Validates and defaults an agent's raw configuration. */
export function parseAgentConfig(raw: unknown): Parsed<AgentConfig> {
  const r = agentConfigSchema.safeParse(raw ?? {});
  if (!r.success) return { ok: false, diagnostics: diagnostics(r.error) };
  return { ok: true, config: r.data };
}
