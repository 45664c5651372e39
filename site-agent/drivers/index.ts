import { join } from 'node:path';
import type { AgentConfig } from '../../shared/config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { HypervisorDriver } from '../../shared/ports/hypervisor.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { createFakeDriver } from './fake/index.ts';

/** Builds the driver an agent's config names. The fake keeps its VMs in `<dataDir>/fake-host.json`. */
export async function createDriver(config: AgentConfig, clock: Clock, log: Logger): Promise<HypervisorDriver> {
  if (config.driver === 'fake') {
    return createFakeDriver({
      clock,
      inventory: { vcpus: config.fake.vcpus, memoryMiB: config.fake.memoryMiB, diskGiB: config.fake.diskGiB },
      spawnDelayMs: config.fake.spawnDelayMs,
      actionDelayMs: config.fake.actionDelayMs,
      spawnFailureRate: config.fake.spawnFailureRate,
      stateFile: join(config.dataDir, 'fake-host.json'),
    });
  }
  // Loaded lazily: the fake (scale tests, simulation) never needs QEMU's modules.
  const { createQemuDriver } = await import('./qemu/driver.ts');
  const { createImageCache } = await import('./qemu/image-cache.ts');
  const dataDir = join(config.dataDir, 'qemu');
  const { hostDataPlane } = await import('../network/for-agent.ts');
  const network =
    config.network === 'auto'
      ? await hostDataPlane(config.host, config.dataDir, log, config.providerBridge)
      : undefined;
  const { fileVolumeStorage } = await import('../volumes/file-storage.ts');
  const imageCache = createImageCache({ dir: join(config.dataDir, 'images'), log });
  const driver = createQemuDriver({
    dataDir,
    clock,
    log: log.child({ driver: 'qemu' }),
    imageCache,
    ...(network ? { network } : {}),
  });
  // Volumes live under the agent's own data dir (exports to other hosts on its storage address).
  const volumeStorage = fileVolumeStorage({
    dir: join(config.dataDir, 'volumes'),
    address: config.storageAddress,
    imageCache,
    clock,
    log,
  });
  return Object.assign(driver, { volumeStorage });
}
