/**
 * The hosts of the `sim` level: every declared host is a real site agent (createAgent) with the fake driver, on one
 * in-process agent bus (shared/agent-bus-memory.ts) shared with the sites' fleets, heartbeating on the virtual
 * clock. Deliveries happen on microtasks, so a run with agents replays exactly like one without.
 *
 * What a host costs is kept small (10,000 hosts at 1,000 sites): no data directory and no state file (the request
 * record is in memory; the fake driver lives as long as the run, so a killed agent's VMs are still there when it
 * restarts, as on a real host), one agent config parsed for all, and a slower heartbeat than a real agent's
 * (`SIM_HEARTBEAT_SECONDS`, still well inside the sites' dead-after window).
 */
import { createMemoryBroker, type MemoryBroker } from '../../shared/agent-bus-memory.ts';
import { type AgentConfig, parseAgentConfig } from '../../shared/config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { seededIds } from '../../shared/ports/ids.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { type Agent, createAgent } from '../../site-agent/agent.ts';
import { createFakeDriver, type FakeDriver } from '../../site-agent/drivers/fake/index.ts';

/** Agents report every 10 s of virtual time (a real agent: 5 s); sites mark a host dead after 30 s of silence. */
export const SIM_HEARTBEAT_SECONDS = 10;

/** The report's fidelity line about hosts. */
export const simHostsFidelity = (n: number): string =>
  n === 0
    ? 'no hosts declared'
    : `${n.toLocaleString('en-US')} hosts: real agents with the fake driver on an in-process bus ` +
      `(heartbeats on the virtual clock, every ${SIM_HEARTBEAT_SECONDS} s)`;

/** The simulated hosts of every site and the bus they share with the sites. */
export interface SimHosts {
  /** The bus the sites' fleets connect through (EdgeSiteOptions.agentBus). */
  readonly bus: MemoryBroker;
  /**
   * Starts an agent for host `host` (1-based) of the site and resolves once it is connected. Starting a host again
   * (after its agent was killed) is a new agent, with a new boot id, on the same fake host: its VMs are still there.
   */
  start(site: string, siteIndex: number, host: number): Promise<Agent>;
  /** Agents started so far (restarts included). */
  started(): number;
  /** Stops every agent still running (graceful goodbyes) and closes the bus. */
  close(): Promise<void>;
}

interface Host {
  driver: FakeDriver;
  agent?: Agent;
  boots: number;
}

/** Hosts on the virtual `clock`; drivers and ids are seeded from `seed` and the host's position. */
export function createSimHosts(clock: Clock, seed: number): SimHosts {
  const bus = createMemoryBroker('sim');
  const hosts = new Map<string, Host>();
  const key = (site: string, host: number) => `${site}-host${host}`;
  const parsed = parseAgentConfig({
    site: 'sim',
    host: 'host1',
    mqttUrl: bus.url,
    dataDir: '/nonexistent/brume-sim-agent',
    heartbeatSeconds: SIM_HEARTBEAT_SECONDS,
  });
  if (!parsed.ok) throw new Error(parsed.diagnostics.join('; '));
  const template: AgentConfig = parsed.config;
  let started = 0;

  return {
    bus,
    async start(site, siteIndex, host) {
      const name = key(site, host);
      let h = hosts.get(name);
      if (!h) {
        h = {
          driver: createFakeDriver({ clock, seed: seed + siteIndex * 1000 + host, spawnDelayMs: 0, actionDelayMs: 0 }),
          boots: 0,
        };
        hosts.set(name, h);
      }
      h.boots++;
      started++;
      const agent = createAgent({
        config: { ...template, site, host: name },
        driver: h.driver,
        clock,
        log: silentLogger,
        // A restarted agent needs a new boot id: the site reconciles an agent whose boot id changed.
        ids: seededIds(seed * 7919 + siteIndex * 1000 + host + (h.boots - 1) * 10_000_019, () => clock.now()),
        ephemeral: true,
        bus,
      });
      h.agent = agent;
      await agent.start();
      return agent;
    },
    started: () => started,
    async close() {
      for (const h of hosts.values()) {
        const a = h.agent;
        h.agent = undefined;
        await a?.stop().catch(() => {});
      }
      bus.close();
    },
  };
}
