import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep, loadScenario, parseScenario, ScenarioError } from './load.ts';

const problems = (yaml: string): string[] => {
  try {
    parseScenario(yaml);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
};

const BASE = `
name: t
sites:
  - { name: paris }
  - { name: lyon }
`;

describe('scenario files', () => {
  it('parses every bundled scenario', () => {
    const dir = import.meta.dirname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => loadScenario(join(dir, f)), f).not.toThrow();
  });

  it('converts units and expands site counts', () => {
    const s = parseScenario(`
name: t
sites: [{ name: edge, count: 3, hosts: 1 }]
links: { default: { latency: 1.5s, loss: 2%, bandwidth: 10mbit } }
workload: [{ kind: api-read-mix, at: 2s, for: 1m, rate: 30/m }]
faults: [{ at: 5s, partition: [[edge1], [edge2, edge3]] }, { at: 9s, heal: true }]
`);
    expect(s.sites.map((x) => x.name)).toEqual(['edge1', 'edge2', 'edge3']);
    expect(s.links.default).toEqual({ latency: 1500, loss: 0.02, bandwidth: 10_000_000 });
    expect(s.workload[0]).toMatchObject({ at: 2000, for: 60_000, rate: 0.5, sites: ['edge1', 'edge2', 'edge3'] });
    expect(s.durationMs).toBe(72_000);
  });

  it('partition groups by name prefix or region, spelled as written in the fault marker', () => {
    const s = parseScenario(`
name: t
sites: [{ name: w, count: 3, region: west }, { name: e, count: 2 }]
faults: [{ at: 5s, partition: [[w*], [e*]] }, { at: 6s, partition: [[region:west, e1], [e2]] }]
`);
    expect(s.faults[0]).toMatchObject({
      partition: [
        ['w1', 'w2', 'w3'],
        ['e1', 'e2'],
      ],
      label: 'w* | e*',
    });
    expect(s.faults[1]?.partition).toEqual([['w1', 'w2', 'w3', 'e1'], ['e2']]);
    expect(problems(`${BASE}faults: [{ at: 1s, partition: [[p*], [x*]] }]\n`)).toEqual([
      'faults[0].partition[1][0]: no site matches "x*"',
    ]);
    expect(problems(`${BASE}faults: [{ at: 1s, partition: [[p*], [paris]] }]\n`)).toEqual([
      'faults[0].partition[1]: site "paris" is in two groups',
    ]);
  });

  it('names the path of a bad site reference', () => {
    expect(
      problems(
        `${BASE}faults:\n  - { at: 1s, heal: true }\n  - { at: 2s, heal: true }\n  - { at: 3s, partition: [[paris], [lyon2]] }\n`,
      ),
    ).toEqual(['faults[2].partition[1][0]: unknown site "lyon2"']);
    expect(problems(`${BASE}workload: [{ kind: api-read-mix, for: 1s, rate: 1/s, sites: [nice] }]\n`)).toEqual([
      'workload[0].sites[0]: unknown site "nice"',
    ]);
  });

  it('names the path of bad shapes and units', () => {
    expect(problems(`${BASE}links: { default: { latency: fast } }\n`)).toEqual([
      'links.default.latency: "fast" is not a duration (e.g. 250ms, 1.5s, 2m)',
    ]);
    expect(problems(`${BASE}faults: [{ at: 1s, heal: true, kill: paris }]\n`)[0]).toMatch(
      /^faults\[0\]: a fault is exactly one of/,
    );
    expect(problems(`${BASE}workload: [{ kind: dance, for: 1s, rate: 1 }]\n`)[0]).toMatch(/^workload\[0\]\.kind: /);
    expect(problems(`${BASE}colour: blue\n`)[0]).toMatch(/colour/);
    expect(problems('name: [')[0]).toMatch(/not valid YAML/);
  });

  it('expands a sweep into one scenario per (sites, rtt)', () => {
    const s = parseScenario(`
name: t
sites: [{ name: s, count: 3 }]
sweep: { rtt: [0ms, 100ms], sites: [2, 4] }
workload: [{ kind: identity-churn, for: 1s, rate: 1/s }]
`);
    const v = expandSweep(s);
    expect(v.map((x) => x.label)).toEqual([
      '2 sites, 0 ms RTT',
      '2 sites, 100 ms RTT',
      '4 sites, 0 ms RTT',
      '4 sites, 100 ms RTT',
    ]);
    expect(v[3]?.scenario.sites.map((x) => x.name)).toEqual(['s1', 's2', 's3', 's4']);
    expect(v[3]?.scenario.links.default.latency).toBe(50);
    expect(v[3]?.scenario.workload[0]?.sites).toHaveLength(4);
  });
});
