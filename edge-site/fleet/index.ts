import { Hono } from 'hono';
import type { AgentBus } from '../../shared/ports/agent-bus.ts';
import type { AppEnv } from '../api/env.ts';
import type { Fleet, Placement, SiteDeps, SiteModule } from '../services.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.ts';
import { connectFleet } from './bus.ts';
import { fleetMetrics } from './metrics.ts';
import { createPlacement } from './placement.ts';
import { loadHostRegistry } from './registry.ts';

/**
 * Builds the fleet module: the agent bus (an external broker when `config.mqtt.url` is set, else an embedded aedes
 * on `config.mqtt.host:port`), the host registry and placement. The broker is listening and the site connected when
 * this resolves, so `mqttUrl` is the real address; `stop()` disconnects and stops the embedded broker.
 * `options.bus` replaces MQTT with another {@link AgentBus} (the sim's in-process one): no broker is started.
 */
export async function createFleet(
  deps: SiteDeps,
  options: { bus?: AgentBus } = {},
): Promise<SiteModule & { fleet: Fleet; placement: Placement; mqttUrl: string }> {
  const metrics = fleetMetrics(deps.metrics);
  const registry = await loadHostRegistry(deps);
  let broker: EmbeddedBroker | undefined;
  let url = options.bus?.url ?? deps.config.mqtt.url;
  if (!url) {
    broker = await startEmbeddedBroker(deps.config.mqtt.host, deps.config.mqtt.port);
    url = broker.url;
    deps.log.info({ url }, 'embedded MQTT broker listening');
  }
  let bus: Awaited<ReturnType<typeof connectFleet>>;
  try {
    bus = await connectFleet(deps, registry, url, metrics, options.bus);
  } catch (err) {
    await broker?.close();
    throw err;
  }
  const placement = await createPlacement(deps, bus, metrics);
  const { close, ...fleet } = bus;
  return {
    app: new Hono<AppEnv>(),
    fleet,
    placement,
    mqttUrl: url,
    async stop() {
      await close();
      await broker?.close();
    },
  };
}
