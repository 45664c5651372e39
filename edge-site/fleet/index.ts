// PLACEHOLDER — replaced by the fleet module (MQTT agent bus, hosts, placement).
import { Hono } from 'hono';
import { BrumeError } from '../../shared/errors.ts';
import type { AppEnv } from '../api/env.ts';
import type { Fleet, Placement, SiteDeps, SiteModule } from '../services.ts';

/** Builds the fleet module: the agent bus (embedded or external MQTT broker), host registry and placement. */
export async function createFleet(
  _deps: SiteDeps,
): Promise<SiteModule & { fleet: Fleet; placement: Placement; mqttUrl: string }> {
  const fleet: Fleet = {
    hosts: () => [],
    host: () => undefined,
    setEnabled: async (id) => {
      throw new BrumeError('not_found', 'fleet.host_not_found', `Host ${id} not found.`);
    },
    send: async () => {
      throw new BrumeError('unavailable', 'fleet.host_down', 'No agents.');
    },
    subscribe: () => () => {},
  };
  const placement: Placement = {
    claim: async () => {
      throw new BrumeError('conflict', 'scheduler.no_valid_host', 'No valid host was found.');
    },
    release: async () => {},
    usage: () => ({ vcpus: 0, memoryMiB: 0, diskGiB: 0, instances: 0 }),
  };
  return { app: new Hono<AppEnv>(), fleet, placement, mqttUrl: '' };
}
