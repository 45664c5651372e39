/**
 * The scenario file (YAML): sites, links, workload, fault timeline, checks, measurements. Raw YAML -> zod schema
 * (shapes, units) -> cross-reference checks (site names, groups) -> a {@link Scenario} with every duration in ms.
 * Errors name the path of the bad field: `faults[2].partition: unknown site "lyon2"`.
 */
import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `1.5s`, `2m`, `1h`, or a plain number of ms. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = DURATION_RE.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 250ms, 1.5s, 2m)` });
    return z.NEVER;
  }
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
});

/** `5%`, or a fraction in [0, 1]. */
export const percent = z.union([z.number().min(0).max(1), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(v.trim());
  if (!m || Number(m[1]) > 100) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a percentage (e.g. 0%, 2.5%, 100%)` });
    return z.NEVER;
  }
  return Number(m[1]) / 100;
});

/** `5/s`, `30/m`, or a plain number per second. */
export const rate = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m)$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a rate (e.g. 5/s, 30/m)` });
    return z.NEVER;
  }
  return Number(m[1]) / (m[2] === 'm' ? 60 : 1);
});

/** `100mbit`, `1gbit`, `512kbit`, or a plain number of bits/s. */
export const bandwidth = z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(kbit|mbit|gbit)$/.exec(v.trim());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a bandwidth (e.g. 100mbit, 1gbit)` });
    return z.NEVER;
  }
  return Number(m[1]) * ({ kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2] ?? 'mbit'] ?? 1);
});

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, starting with a letter');

const linkProps = {
  latency: duration.optional(),
  jitter: duration.optional(),
  loss: percent.optional(),
  bandwidth: bandwidth.optional(),
};
const linkSchema = z.strictObject(linkProps);
/** A site list: names, or `all`, or `region:NAME`. */
const siteRefs = z.union([z.literal('all'), z.array(z.string()).min(1)]);

const siteSchema = z.strictObject({
  name,
  region: name.optional(),
  hosts: z.number().int().min(0).max(1000).default(2),
  driver: z.enum(['fake', 'qemu']).default('fake'),
  /** `count: N` expands into N sites `name1..nameN` (large topologies). */
  count: z.number().int().min(1).max(10_000).optional(),
});

const workloadSchema = z.strictObject({
  kind: z.enum(['boot-storm', 'identity-churn', 'image-distribution', 'api-read-mix']),
  at: duration.default(0),
  for: duration,
  /** Operations per second at each chosen site. */
  rate,
  sites: siteRefs.default('all'),
  /** identity-churn: `shared` reuses the same user names at every site (split-brain identity). */
  names: z.enum(['unique', 'shared']).default('unique'),
  /** boot-storm: the flavor to boot. */
  flavor: z.string().default('m1.tiny'),
});

const faultSchema = z
  .strictObject({
    at: duration,
    partition: z.array(z.array(z.string()).min(1)).min(1).optional(),
    heal: z.literal(true).optional(),
    kill: z.string().optional(),
    kill_agent: z.strictObject({ site: z.string(), host: z.number().int().min(1) }).optional(),
    restart_after: duration.optional(),
    latency: z.strictObject({ ...linkProps, a: siteRefs.optional(), b: siteRefs.optional() }).optional(),
    clock_skew: z.strictObject({ site: z.string(), by: z.union([z.number(), z.string()]) }).optional(),
  })
  .superRefine((f, ctx) => {
    const kinds = ['partition', 'heal', 'kill', 'kill_agent', 'latency', 'clock_skew'].filter(
      (k) => f[k as keyof typeof f] !== undefined,
    );
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a fault is exactly one of partition, heal, kill, kill_agent, latency, clock_skew (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      });
    }
    if (f.restart_after !== undefined && f.kill === undefined && f.kill_agent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['restart_after'], message: 'restart_after goes with kill or kill_agent' });
    }
  });

const checkSchema = z.union([
  z.strictObject({ converged_within: duration }),
  z.strictObject({ lost_writes: z.literal(0) }),
  z.strictObject({ quota_never_exceeded: z.literal(true) }),
  z.strictObject({ local_availability_during_partition: percent }),
  z.strictObject({ availability: percent }),
  z.strictObject({ conflicts_recorded: z.number().int().min(0) }),
  z.strictObject({ max_latency: z.strictObject({ op: z.string(), p99: duration }) }),
  z.strictObject({ servers_survive_agent_crash: z.literal(true) }),
]);

export const MEASURES = [
  'api_latency',
  'availability',
  'convergence',
  'conflicts',
  'quota',
  'lost_writes',
  'replication_bytes',
  'resources',
] as const;

/** The raw scenario file. */
export const scenarioFileSchema = z.strictObject({
  name,
  description: z.string().optional(),
  seed: z.number().int().default(1),
  /** Virtual/real time the run lasts after setup; default: end of the last workload or fault + 10 s. */
  duration: duration.optional(),
  sites: z.array(siteSchema).min(1),
  links: z
    .strictObject({
      default: linkSchema.default({}),
      /** Latency between a client and its local site (added to every operation's latency in sim). */
      client: linkSchema.default({}),
      between: z.array(z.strictObject({ a: siteRefs, b: siteRefs, ...linkProps })).default([]),
    })
    .default({ default: {}, client: {}, between: [] }),
  /** Federation timing passed to every site. */
  federation: z
    .strictObject({ sync_interval: duration.default(1000), heartbeat: duration.default(5000) })
    .default({ sync_interval: 1000, heartbeat: 5000 }),
  /** A project quota applied at setup (instances), for quota-under-partition. */
  quota: z.strictObject({ project: name.default('demo'), instances: z.number().int().min(0) }).optional(),
  workload: z.array(workloadSchema).default([]),
  faults: z.array(faultSchema).default([]),
  check: z.array(checkSchema).default([]),
  measure: z.array(z.enum(MEASURES)).default([...MEASURES]),
  /** Sweep: the scenario runs once per value combination (wan-latency-sweep). */
  sweep: z.strictObject({ rtt: z.array(duration).min(1), sites: z.array(z.number().int().min(2)).min(1) }).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
export type SiteSpec = { name: string; region: string; hosts: number; driver: 'fake' | 'qemu' };
export type LinkSpec = { latency?: number; jitter?: number; loss?: number; bandwidth?: number };
export type WorkloadSpec = Omit<ScenarioFile['workload'][number], 'sites'> & { sites: string[] };
export type FaultSpec = ScenarioFile['faults'][number] & {
  skewMs?: number;
  /** A partition as the file spelled it (`region:X` kept), for the report's fault markers. */
  label?: string;
};
export type CheckSpec = ScenarioFile['check'][number];

/** A validated scenario with every site expanded and every reference resolved. */
export interface Scenario extends Omit<ScenarioFile, 'sites' | 'workload' | 'links' | 'faults'> {
  sites: SiteSpec[];
  links: {
    default: LinkSpec;
    client: LinkSpec;
    between: { a: string[]; b: string[]; link: LinkSpec }[];
  };
  workload: WorkloadSpec[];
  faults: FaultSpec[];
  /** Length of the timeline in ms. */
  durationMs: number;
}
