import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEmbeddedBroker } from '../edge-site/fleet/broker.ts';
import { manualClock } from '../edge-site/testing/deps.ts';
import { parseAgentConfig } from '../shared/config.ts';
import { seededIds } from '../shared/ports/ids.ts';
import { silentLogger } from '../shared/ports/logger.ts';
import {
  type AgentStatus,
  type CommandEnvelope,
  type ReplyEnvelope,
  topics,
} from '../shared/schemas/agent-protocol.ts';
import { createAgent } from './agent.ts';
import { createFakeDriver } from './drivers/fake/index.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function setup() {
  const broker = await startEmbeddedBroker('127.0.0.1', 0);
  cleanups.push(() => broker.close());
  const dir = mkdtempSync(join(tmpdir(), 'brume-agent-unit-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const clock = manualClock();
  const r = parseAgentConfig({ site: 's', host: 'h1', mqttUrl: broker.url, dataDir: dir, heartbeatSeconds: 5 });
  if (!r.ok) throw new Error(r.diagnostics.join('; '));
  const fake = createFakeDriver({ clock, spawnDelayMs: 0, actionDelayMs: 0 });
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const counts = { spawn: 0 };
  const driver = {
    ...fake,
    spawn: async (spec: Parameters<typeof fake.spawn>[0]) => {
      counts.spawn++;
      return gate.then(() => fake.spawn(spec));
    },
  };
  const agent = createAgent({ config: r.config, driver, clock, log: silentLogger, ids: seededIds(1, clock.now) });
  const probe = await mqtt.connectAsync(broker.url, { clientId: 'probe' });
  cleanups.push(() => probe.endAsync());
  const seen: Array<{ topic: string; msg: unknown }> = [];
  probe.on('message', (topic, p) => {
    if (!topic.endsWith('/cmd')) seen.push({ topic, msg: p.length ? JSON.parse(p.toString()) : null });
  });
  await probe.subscribeAsync('brume/v1/s/agents/h1/#', { qos: 1 });
  await agent.start();
  cleanups.push(() => agent.stop());
  const send = (env: CommandEnvelope) => probe.publishAsync(topics.cmd('s', 'h1'), JSON.stringify(env), { qos: 1 });
  const replies = () => seen.filter((s) => s.topic.endsWith('/reply')).map((s) => s.msg as ReplyEnvelope);
  return { clock, driver: fake, counts, open, agent, probe, seen, send, replies };
}

const until = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 10 });

describe('site agent', () => {
  it('announces itself online with inventory, boot id and zone, and heartbeats on its clock', async () => {
    const t = await setup();
    await until(() => expect(t.seen.some((s) => s.topic.endsWith('/status'))).toBe(true));
    const status = t.seen.find((s) => s.topic.endsWith('/status'))?.msg as AgentStatus;
    expect(status).toMatchObject({ state: 'online', host: 'h1', bootId: t.agent.bootId, availabilityZone: 'nova' });
    expect(status.inventory?.hypervisorType).toBe('fake');
    t.clock.advance(5000);
    await until(() => expect(t.seen.some((s) => (s.msg as { type?: string } | null)?.type === 'heartbeat')).toBe(true));
  });

  it('gives a duplicate of a command still executing the same result, executing it once', async () => {
    const t = await setup();
    const env: CommandEnvelope = {
      v: 1,
      requestId: 'dup',
      command: {
        op: 'spawn',
        spec: {
          id: 'i1',
          name: 'vm',
          hostname: 'vm',
          projectId: 'p',
          vcpus: 1,
          memoryMiB: 1,
          diskGiB: 1,
          image: null,
          ports: [],
        },
      },
      sentAt: 0,
    };
    await t.send(env);
    await t.send(env);
    // Messages arrive in order: once `list` is answered, both duplicates were received while spawn was blocked.
    await t.send({ v: 1, requestId: 'marker', command: { op: 'list' }, sentAt: 0 });
    await until(() => expect(t.replies().map((r) => r.requestId)).toEqual(['marker']));
    t.open();
    await until(() => expect(t.replies().filter((r) => r.requestId === 'dup')).toHaveLength(2));
    const dups = t.replies().filter((r) => r.requestId === 'dup');
    expect(dups[0]).toEqual(dups[1]);
    expect(dups[0]).toMatchObject({ ok: true, result: { id: 'i1', powerState: 'running' } });
    expect(t.counts.spawn).toBe(1);
  });

  it('answers malformed commands with an error and unknown ops with agent.unknown_command', async () => {
    const t = await setup();
    await t.probe.publishAsync(topics.cmd('s', 'h1'), 'not json', { qos: 1 });
    await t.probe.publishAsync(topics.cmd('s', 'h1'), JSON.stringify({ requestId: 'bad' }), { qos: 1 });
    await t.send({ v: 1, requestId: 'weird', command: { op: 'teleport' } as never, sentAt: 0 });
    await until(() =>
      expect(
        t
          .replies()
          .map((r) => r.requestId)
          .sort(),
      ).toEqual(['bad', 'weird']),
    );
    const byId = Object.fromEntries(t.replies().map((r) => [r.requestId, r]));
    expect(byId.bad).toMatchObject({ ok: false, error: { code: 'agent.malformed_command' } });
    expect(byId.weird).toMatchObject({ ok: false, error: { code: 'agent.unknown_command', kind: 'bad_request' } });
  });

  it('publishes a retained offline status when stopped gracefully', async () => {
    const t = await setup();
    await t.agent.stop();
    await until(() =>
      expect(t.seen.filter((s) => s.topic.endsWith('/status')).map((s) => (s.msg as AgentStatus).state)).toContain(
        'offline',
      ),
    );
  });
});
