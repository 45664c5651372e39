import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import {
  type FaultSpec,
  type LinkSpec,
  type Scenario,
  type ScenarioFile,
  type SiteSpec,
  scenarioFileSchema,
} from './schema.ts';

/** A scenario file that cannot be used; `problems` name the path of each bad field. */
export class ScenarioError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(file)';
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    // A union (checks) reports every branch: say what the entry could be instead.
    if (i.code === 'invalid_union') return `${pathOf(i.path)}: not a known entry (${i.message})`;
    return `${pathOf(i.path)}: ${i.message}`;
  });
}

/** Parses scenario YAML text; throws {@link ScenarioError}. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ScenarioError([`${source}: not valid YAML: ${(err as Error).message}`]);
  }
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(zodProblems(parsed.error));
  return resolveScenario(parsed.data);
}

/** Reads and parses a scenario file; throws {@link ScenarioError}. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError([`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseScenario(text, path);
}

const clean = (l: { latency?: number; jitter?: number; loss?: number; bandwidth?: number }): LinkSpec => {
  const out: LinkSpec = {};
  if (l.latency !== undefined) out.latency = l.latency;
  if (l.jitter !== undefined) out.jitter = l.jitter;
  if (l.loss !== undefined) out.loss = l.loss;
  if (l.bandwidth !== undefined) out.bandwidth = l.bandwidth;
  return out;
};

/** Expands site counts, resolves site references (names, `all`, `region:X`), checks the timeline. */
export function resolveScenario(file: ScenarioFile): Scenario {
  const problems: string[] = [];
  const sites: SiteSpec[] = [];
  for (const s of file.sites) {
    const names = s.count === undefined ? [s.name] : Array.from({ length: s.count }, (_, i) => `${s.name}${i + 1}`);
    for (const n of names) sites.push({ name: n, region: s.region ?? n, hosts: s.hosts, driver: s.driver });
  }
  const known = new Set<string>();
  for (const [i, s] of sites.entries()) {
    if (known.has(s.name)) problems.push(`sites[${i}].name: site "${s.name}" is declared twice`);
    known.add(s.name);
  }
  const regions = new Set(sites.map((s) => s.region));
  const refs = (v: 'all' | string[], path: string): string[] => {
    if (v === 'all') return sites.map((s) => s.name);
    const out: string[] = [];
    for (const [i, r] of v.entries()) {
      if (r.endsWith('*') && r.length > 1) {
        // `w*`: every site whose name starts with `w` (groups of counted sites: `{ name: w, count: 500 }`).
        const matching = sites.filter((s) => s.name.startsWith(r.slice(0, -1))).map((s) => s.name);
        if (matching.length === 0) problems.push(`${path}[${i}]: no site matches "${r}"`);
        out.push(...matching);
      } else if (r.startsWith('region:')) {
        const region = r.slice('region:'.length);
        if (!regions.has(region)) problems.push(`${path}[${i}]: unknown region "${region}"`);
        out.push(...sites.filter((s) => s.region === region).map((s) => s.name));
      } else if (!known.has(r)) problems.push(`${path}[${i}]: unknown site "${r}"`);
      else out.push(r);
    }
    return out;
  };
  const site = (n: string, path: string) => {
    if (!known.has(n)) problems.push(`${path}: unknown site "${n}"`);
  };

  const between = file.links.between.map((b, i) => ({
    a: refs(b.a, `links.between[${i}].a`),
    b: refs(b.b, `links.between[${i}].b`),
    link: clean(b),
  }));
  const workload = file.workload.map((w, i) => ({ ...w, sites: refs(w.sites, `workload[${i}].sites`) }));
  const faults: FaultSpec[] = file.faults.map((f, i) => {
    const path = `faults[${i}]`;
    let partition: string[][] | undefined;
    if (f.partition) {
      const seen = new Set<string>();
      // A group lists sites by name or `region:X` (every site of that region).
      partition = f.partition.map((group, g) => refs(group, `${path}.partition[${g}]`));
      for (const [g, group] of partition.entries()) {
        for (const n of group) {
          if (seen.has(n)) problems.push(`${path}.partition[${g}]: site "${n}" is in two groups`);
          seen.add(n);
        }
      }
    }
    if (f.kill !== undefined) site(f.kill, `${path}.kill`);
    if (f.kill_agent) {
      site(f.kill_agent.site, `${path}.kill_agent.site`);
      const s = sites.find((x) => x.name === f.kill_agent?.site);
      if (s && f.kill_agent.host > s.hosts) {
        problems.push(`${path}.kill_agent.host: site "${s.name}" has ${s.hosts} host(s), not ${f.kill_agent.host}`);
      }
    }
    if (f.latency?.a) refs(f.latency.a, `${path}.latency.a`);
    if (f.latency?.b) refs(f.latency.b, `${path}.latency.b`);
    let skewMs: number | undefined;
    if (f.clock_skew) {
      site(f.clock_skew.site, `${path}.clock_skew.site`);
      const by = f.clock_skew.by;
      const m = typeof by === 'number' ? [String(by), String(by), 'ms'] : /^([+-]?\d+(?:\.\d+)?)\s*(ms|s|m)$/.exec(by);
      if (!m) problems.push(`${path}.clock_skew.by: "${by}" is not a signed duration (e.g. -30s, 500ms)`);
      else skewMs = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 'ms'] ?? 1);
    }
    const byRegion = f.partition?.some((g) => g.some((r) => r.startsWith('region:') || r.endsWith('*')));
    const label = byRegion ? f.partition?.map((g) => g.join('+')).join(' | ') : undefined;
    const resolved = partition ? { ...f, partition, ...(label ? { label } : {}) } : f;
    return skewMs === undefined ? resolved : { ...resolved, skewMs };
  });
  for (let i = 1; i < faults.length; i++) {
    if ((faults[i]?.at ?? 0) < (faults[i - 1]?.at ?? 0)) problems.push(`faults[${i}].at: faults must be in time order`);
  }
  if (problems.length > 0) throw new ScenarioError(problems);

  const ends = [...workload.map((w) => w.at + w.for), ...faults.map((f) => f.at + (f.restart_after ?? 0))];
  const durationMs = file.duration ?? Math.max(0, ...ends) + 10_000;
  return {
    ...file,
    sites,
    links: { default: clean(file.links.default), client: clean(file.links.client), between },
    workload,
    faults,
    durationMs,
  };
}

/** The variants of a sweep: one scenario per (rtt, sites) with `default.latency = rtt / 2`, or the scenario alone. */
export function expandSweep(s: Scenario): { label: string; rttMs?: number; scenario: Scenario }[] {
  if (!s.sweep) return [{ label: s.name, scenario: s }];
  const template = s.sites[0];
  if (!template) return [];
  const base = template.name.replace(/\d+$/, '');
  const out: { label: string; rttMs: number; scenario: Scenario }[] = [];
  for (const n of s.sweep.sites) {
    for (const rtt of s.sweep.rtt) {
      const sites = Array.from({ length: n }, (_, i) => ({
        ...template,
        name: `${base}${i + 1}`,
        region: `${base}${i + 1}`,
      }));
      const names = sites.map((x) => x.name);
      out.push({
        label: `${n} sites, ${rtt} ms RTT`,
        rttMs: rtt,
        scenario: {
          ...s,
          sweep: undefined,
          sites,
          links: { ...s.links, default: { ...s.links.default, latency: rtt / 2 }, between: [] },
          workload: s.workload.map((w) => ({ ...w, sites: names })),
        },
      });
    }
  }
  return out;
}
