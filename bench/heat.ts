/**
 * Orchestration figures, in process over the fake cloud (edge-site/orchestration/testing): the engine's own cost
 * (template checks, dependency walk, state and events in SQLite, API calls to an in-memory cloud) for
 * - a 200-resource flat stack (RandomStrings: no cloud calls), create and delete;
 * - a 40-resource chained network stack (nets -> subnets -> ports, 3 API calls per resource), create and delete;
 * - template validation of the two-tier course template (parse + parameters + graph).
 *
 * `node bench/heat.ts` prints figures; not a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orchestrationHarness } from '../edge-site/orchestration/testing/harness.ts';
import { fmt, percentile } from './lib.ts';

type H = Awaited<ReturnType<typeof orchestrationHarness>>;

async function cycle(h: H, name: string, template: unknown): Promise<{ create: number; del: number; status: string }> {
  let t = performance.now();
  const id = (await h.call('POST', '/stacks', { stack_name: name, template })).body.stack.id;
  await h.settle();
  const create = performance.now() - t;
  const status = (await h.call('GET', `/stacks/${name}/${id}`)).body.stack.stack_status;
  t = performance.now();
  await h.call('DELETE', `/stacks/${name}/${id}`);
  await h.settle();
  return { create, del: performance.now() - t, status };
}

export async function benchHeat(): Promise<void> {
  const flat = {
    heat_template_version: '2018-08-31',
    resources: Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`r${i}`, { type: 'OS::Heat::RandomString', properties: { length: 16 } }]),
    ),
  };
  const chained: Record<string, unknown> = {};
  for (let i = 0; i < 10; i++) {
    chained[`net${i}`] = { type: 'OS::Neutron::Net' };
    chained[`sub${i}`] = {
      type: 'OS::Neutron::Subnet',
      properties: { network: { get_resource: `net${i}` }, cidr: `10.${i}.0.0/24` },
    };
    chained[`port${i}a`] = {
      type: 'OS::Neutron::Port',
      properties: { network: { get_resource: `net${i}` }, fixed_ips: [{ subnet: { get_resource: `sub${i}` } }] },
    };
    chained[`port${i}b`] = {
      type: 'OS::Neutron::Port',
      properties: { network: { get_resource: `net${i}` }, fixed_ips: [{ subnet: { get_resource: `sub${i}` } }] },
    };
  }
  const net = { heat_template_version: '2018-08-31', resources: chained };
  for (const [label, template, n] of [
    ['200 RandomStrings', flat, 200],
    ['40 chained network resources', net, 40],
  ] as const) {
    const h = await orchestrationHarness();
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await cycle(h, `s${i}`, template));
    const best = runs.reduce((a, b) => (b.create < a.create ? b : a));
    console.log(
      `${label}: create ${fmt(best.create, 0)} ms (${fmt(best.create / n, 2)} ms/resource, ${best.status}), delete ${fmt(best.del, 0)} ms (best of 3)`,
    );
  }
  const h = await orchestrationHarness();
  h.cloud.objects.set('networks', new Map([['pub', { id: 'pub', name: 'public' }]]));
  const text = readFileSync(
    join(import.meta.dirname, '..', 'edge-site', 'e2e', 'heat-templates', 'two-tier.yaml'),
    'utf8',
  );
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await h.call('POST', '/validate', { template: text });
    if (r.status !== 200) throw new Error(JSON.stringify(r.body));
    times.push(performance.now() - t);
  }
  console.log(
    `validate two-tier.yaml (YAML text, 10 resources): p50 ${fmt(percentile(times, 50), 2)} ms, p99 ${fmt(percentile(times, 99), 2)} ms`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await benchHeat();
