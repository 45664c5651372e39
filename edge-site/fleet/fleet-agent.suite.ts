import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mqttAgentBus } from '../../shared/agent-bus-mqtt.ts';
import { parseAgentConfig } from '../../shared/config.ts';
import type { AgentBus, BusClient } from '../../shared/ports/agent-bus.ts';
import { seededIds } from '../../shared/ports/ids.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import {
  type AgentStatus,
  type CommandEnvelope,
  type InstanceInfo,
  type InstanceSpec,
  type ReplyEnvelope,
  topics,
} from '../../shared/schemas/agent-protocol.ts';
import { createAgent } from '../../site-agent/agent.ts';
import { createFakeDriver, type FakeDriver } from '../../site-agent/drivers/fake/index.ts';
import type { FleetEvent } from '../services.ts';
import { type ManualClock, manualClock, testConfig, testDeps } from '../testing/deps.ts';
import { createFleet } from './index.ts';

/** How the suite reaches a broker: none (embedded aedes), an external URL, or an in-process bus. */
export interface BrokerHarness {
  /** An external broker's URL, or undefined for the site's embedded one. */
  url(): string | undefined;
  /** A bus other than mqtt.js (the in-process one): sites and agents connect through it. */
  bus?(): AgentBus;
}

let seq = 0;
const until = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 10 });

export const spec = (id: string): InstanceSpec => ({
  id,
  name: `vm-${id}`,
  hostname: `vm-${id}`,
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 512,
  diskGiB: 1,
  image: null,
  ports: [],
});

/** The fleet <-> agent bus end to end, in one process, over the broker the harness gives. */
export function runFleetAgentSuite(name: string, broker: BrokerHarness): void {
  describe(`fleet and agent over ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
      cleanups.length = 0;
    });

    async function site(options: { dbPath?: string; port?: number; siteName?: string } = {}) {
      const siteName = options.siteName ?? `t${seq++}`;
      const url = broker.url();
      const config = testConfig({
        site: siteName,
        mqtt: { port: options.port ?? 0, ...(url ? { url } : {}) },
        agents: { heartbeatSeconds: 5, deadAfterSeconds: 30, commandTimeoutSeconds: 60 },
      });
      const clock = manualClock();
      const deps = await testDeps({ clock, config });
      if (options.dbPath) {
        const { openDatabase } = await import('../db/client.ts');
        const { migrateDatabase } = await import('../db/migrate.ts');
        deps.db = await openDatabase(options.dbPath);
        await migrateDatabase(deps.db);
      }
      const mod = await createFleet(deps, broker.bus ? { bus: broker.bus() } : {});
      const events: FleetEvent[] = [];
      mod.fleet.subscribe((e) => events.push(e));
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        await mod.stop?.();
      };
      cleanups.push(stop);
      return { ...mod, deps, clock, events, siteName, stop };
    }

    /** A test's own client on the site's bus (a mute agent, a probe). */
    const busClient = async (url: string, clientId: string): Promise<BusClient> => {
      const c = (broker.bus?.() ?? mqttAgentBus).connect({ url, clientId, clean: true });
      cleanups.push(() => c.end());
      await new Promise<void>((resolve) => c.onConnect(() => resolve()));
      return c;
    };

    const dataDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'brume-agent-'));
      cleanups.push(async () => rmSync(d, { recursive: true, force: true }));
      return d;
    };

    async function agent(s: { mqttUrl: string; siteName: string }, host: string, dir: string, clock?: ManualClock) {
      const c = clock ?? manualClock();
      const r = parseAgentConfig({
        site: s.siteName,
        host,
        mqttUrl: s.mqttUrl,
        dataDir: dir,
        availabilityZone: 'az1',
        fake: { vcpus: 4, memoryMiB: 4096, diskGiB: 40, spawnDelayMs: 0, actionDelayMs: 0 },
      });
      if (!r.ok) throw new Error(r.diagnostics.join('; '));
      const driver: FakeDriver = createFakeDriver({
        clock: c,
        inventory: { vcpus: 4, memoryMiB: 4096, diskGiB: 40 },
        stateFile: join(dir, 'fake-host.json'),
      });
      const a = createAgent({
        config: r.config,
        driver,
        clock: c,
        log: silentLogger,
        ids: seededIds(seq++, c.now),
        ...(broker.bus ? { bus: broker.bus() } : {}),
      });
      let gone = false;
      const stop = async () => {
        if (gone) return;
        gone = true;
        await a.stop();
      };
      const kill = async () => {
        if (gone) return;
        gone = true;
        await a.kill();
      };
      cleanups.push(stop);
      await a.start();
      return { agent: a, driver, clock: c, stop, kill };
    }

    it('registers a host with its inventory and reconciles it', async () => {
      const s = await site();
      const a = await agent(s, 'host1', dataDir());
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      const h = s.fleet.host('host1');
      expect(h).toMatchObject({ availabilityZone: 'az1', enabled: true, bootId: a.agent.bootId, numericId: 1 });
      expect(h?.inventory).toMatchObject({ vcpus: 4, memoryMiB: 4096, diskGiB: 40, hypervisorType: 'fake' });
      await until(() => expect(s.events.some((e) => e.type === 'inventory' && e.host === 'host1')).toBe(true));
      expect(s.events.find((e) => e.type === 'inventory')).toMatchObject({ instances: [] });
    });

    it('round-trips commands, reports instance events and agent errors', async () => {
      const s = await site();
      const a = await agent(s, 'host1', dataDir());
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      const vm = await s.fleet.send<InstanceInfo>('host1', { op: 'spawn', spec: spec('i1') });
      expect(vm).toMatchObject({ id: 'i1', powerState: 'running' });
      expect(await s.fleet.send<string>('host1', { op: 'console', instanceId: 'i1', lines: 3 })).toContain('vm-i1');
      expect(await s.fleet.send('host1', { op: 'stop', instanceId: 'i1' })).toMatchObject({ powerState: 'shutdown' });
      await until(() =>
        expect(
          s.events
            .filter((e) => e.type === 'instance')
            .map((e) => (e.type === 'instance' ? e.instance.powerState : '')),
        ).toEqual(['running', 'shutdown']),
      );
      await expect(s.fleet.send('host1', { op: 'pause', instanceId: 'nope' })).rejects.toMatchObject({
        code: 'hypervisor.instance_not_found',
        kind: 'not_found',
      });
      await expect(s.fleet.send('host1', { op: 'pause', instanceId: 'i1' })).rejects.toMatchObject({
        code: 'hypervisor.invalid_state',
      });
      expect(await s.fleet.send('host1', { op: 'destroy', instanceId: 'i1' })).toBeNull();
      await until(() => expect(s.events.some((e) => e.type === 'instance' && e.deleted)).toBe(true));
      expect(await a.driver.list()).toEqual([]);
      const text = await s.deps.metrics.render();
      expect(text).toContain('brume_agent_commands_total{op="spawn"} 1');
      expect(text).toContain('brume_agent_command_failures_total{code="hypervisor.instance_not_found",op="pause"} 1');
    });

    it('answers a redelivered request id from the record, never executing twice (also after a restart)', async () => {
      const s = await site();
      const dir = dataDir();
      const a = await agent(s, 'host1', dir);
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      const first = await s.fleet.send('host1', { op: 'spawn', spec: spec('i1') }, { requestId: 'req-1' });
      await s.fleet.send('host1', { op: 'destroy', instanceId: 'i1' });
      const again = await s.fleet.send('host1', { op: 'spawn', spec: spec('i1') }, { requestId: 'req-1' });
      expect(again).toEqual(first);
      expect(await a.driver.list()).toEqual([]);
      expect(a.driver.calls.spawn).toBe(1);
      const same = [1, 2, 3].map(() =>
        s.fleet.send('host1', { op: 'spawn', spec: spec('i2') }, { requestId: 'req-2' }),
      );
      const results = await Promise.all(same);
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(a.driver.calls.spawn).toBe(2);

      await a.stop();
      const b = await agent(s, 'host1', dir);
      await until(() => expect(s.fleet.host('host1')?.bootId).toBe(b.agent.bootId));
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      expect(await s.fleet.send('host1', { op: 'spawn', spec: spec('i1') }, { requestId: 'req-1' })).toEqual(first);
      expect(b.driver.calls.spawn ?? 0).toBe(0);
    });

    it('times out a command nobody answers, and refuses unknown hosts', async () => {
      const s = await site();
      await expect(s.fleet.send('ghost', { op: 'list' })).rejects.toMatchObject({
        code: 'fleet.host_down',
        kind: 'unavailable',
      });
      const mute = await busClient(s.mqttUrl, `mute-${seq++}`);
      const status: AgentStatus = { v: 1, host: 'mute', state: 'online', bootId: 'b1', at: 0 };
      await mute.publish(topics.status(s.siteName, 'mute'), JSON.stringify(status), { qos: 1, retain: true });
      await until(() => expect(s.fleet.host('mute')?.state).toBe('up'));
      const p = s.fleet.send('mute', { op: 'inspect', instanceId: 'x' }, { timeoutMs: 5000 });
      const settled = p.then(
        () => 'resolved',
        (e: { code?: string; kind?: string }) => `${e.kind}:${e.code}`,
      );
      s.clock.advance(4999);
      s.clock.advance(1);
      expect(await settled).toBe('timeout:fleet.command_timeout');
      expect(await s.deps.metrics.render()).toContain('brume_agent_command_timeouts_total{op="inspect"}');
      await mute.publish(topics.status(s.siteName, 'mute'), '', { qos: 1, retain: true });
    });

    it('marks a host down on its last will and after silence, and up again on a heartbeat', async () => {
      const s = await site();
      const a = await agent(s, 'host1', dataDir());
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      s.clock.advance(20_000);
      await a.agent.heartbeat();
      await until(() => expect(s.fleet.host('host1')?.lastSeen).toBe(s.clock.now()));
      s.clock.advance(30_000);
      expect(s.fleet.host('host1')?.state).toBe('up');
      s.clock.advance(1_000);
      await until(() => expect(s.fleet.host('host1')?.state).toBe('down'));
      await expect(s.fleet.send('host1', { op: 'list' })).rejects.toMatchObject({ code: 'fleet.host_down' });
      const inventories = () => s.events.filter((e) => e.type === 'inventory').length;
      const before = inventories();
      await a.agent.heartbeat();
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      await until(() => expect(inventories()).toBe(before + 1));

      await a.kill();
      await until(() => expect(s.fleet.host('host1')?.state).toBe('down'));
      // The event follows the registry's write (an in-process bus gets here before it is done).
      await until(() => expect(s.events.at(-1)).toMatchObject({ type: 'host', host: { id: 'host1', state: 'down' } }));
    });

    it('reconciles an agent that restarted: new boot id, inventory of the VMs it reattached to', async () => {
      const s = await site();
      const dir = dataDir();
      const a = await agent(s, 'host1', dir);
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      await s.fleet.send('host1', { op: 'spawn', spec: spec('i1') });
      await a.kill();
      await until(() => expect(s.fleet.host('host1')?.state).toBe('down'));
      s.events.length = 0;
      const b = await agent(s, 'host1', dir);
      await until(() => expect(s.fleet.host('host1')).toMatchObject({ state: 'up', bootId: b.agent.bootId }));
      await until(() =>
        expect(s.events.find((e) => e.type === 'inventory')).toMatchObject({
          host: 'host1',
          instances: [{ id: 'i1', powerState: 'running' }],
        }),
      );
    });

    it('delivers commands queued while the agent was away (persistent session)', async () => {
      const s = await site();
      const dir = dataDir();
      const a = await agent(s, 'host1', dir);
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      await a.kill();
      const probe = await busClient(s.mqttUrl, `probe-${seq++}`);
      const replies: ReplyEnvelope[] = [];
      probe.onMessage((_t, p) => replies.push(JSON.parse(new TextDecoder().decode(p)) as ReplyEnvelope));
      await probe.subscribe({ [topics.reply(s.siteName, 'host1')]: 1 });
      const env: CommandEnvelope = {
        v: 1,
        requestId: 'queued-1',
        command: { op: 'spawn', spec: spec('q1') },
        sentAt: 0,
      };
      await probe.publish(topics.cmd(s.siteName, 'host1'), JSON.stringify(env), { qos: 1 });
      const b = await agent(s, 'host1', dir);
      await until(() => expect(replies.find((r) => r.requestId === 'queued-1')).toMatchObject({ ok: true }));
      expect((await b.driver.list()).map((i) => i.id)).toEqual(['q1']);
    });

    it('crashed VMs are reported at the next poll', async () => {
      const s = await site();
      const a = await agent(s, 'host1', dataDir());
      await until(() => expect(s.fleet.host('host1')?.state).toBe('up'));
      await s.fleet.send('host1', { op: 'spawn', spec: spec('c1') });
      a.driver.crash('c1');
      await a.agent.heartbeat();
      await until(() =>
        expect(s.events.some((e) => e.type === 'instance' && e.instance.powerState === 'crashed')).toBe(true),
      );
    });

    it('persists hosts across a site restart (down until the agent reports again)', async () => {
      const dir = dataDir();
      const { freePort } = await import('../../shared/testing/mosquitto.ts');
      const port = broker.url() || broker.bus ? 0 : await freePort();
      const s1 = await site({ dbPath: join(dir, 'site.db'), port });
      await agent(s1, 'host1', dataDir());
      await until(() => expect(s1.fleet.host('host1')?.state).toBe('up'));
      await s1.fleet.setEnabled('host1', false, 'maintenance');
      await s1.stop();
      const s2 = await site({ dbPath: join(dir, 'site.db'), port, siteName: s1.siteName });
      const h = s2.fleet.host('host1');
      expect(h).toMatchObject({ numericId: 1, enabled: false, disabledReason: 'maintenance', availabilityZone: 'az1' });
      await until(() => expect(s2.fleet.host('host1')?.state).toBe('up'));
      // Reconciled: it asked the agent for its VMs (on an in-process bus the answer may come before `events` listens).
      await vi.waitFor(
        async () => expect(await s2.deps.metrics.render()).toContain('brume_agent_commands_total{op="list"} 1'),
        {
          timeout: 5000,
          interval: 10,
        },
      );
    });
  });
}
