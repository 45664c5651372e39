/** The block storage module (Cinder v3 for one edge site): volumes, snapshots, attachments over a file backend. */
import { join } from 'node:path';
import { volumeApi } from '../api/volume/index.ts';
import { novaVolumeProxy } from '../api/volume/nova-proxy.ts';
import type { Fleet, IdentityService, ImageService, SiteDeps, SiteModule, VolumeService } from '../services.ts';
import { fleetVolumeHotplug } from './agent-hotplug.ts';
import { attachmentRecords, type VolumeHotplug } from './attachments.ts';
import { fileVolumeBackend, type VolumeBackend } from './backend.ts';
import { bootVolumes } from './boot.ts';
import type { VolumeContext } from './context.ts';
import { volumeQuotaStore } from './quotas.ts';
import { volumeService } from './service.ts';
import { snapshotRecords } from './snapshots.ts';
import { volumeRecords } from './volumes.ts';

/** Options of the volume module. */
export interface VolumeModuleOptions {
  identity: IdentityService;
  image: ImageService;
  /** Default: sparse raw files under `<dataDir>/volumes/`. */
  backend?: VolumeBackend;
  /** Hot-plug through these hosts' agents (default when no `hotplug` is given). */
  fleet?: Fleet;
  hotplug?: VolumeHotplug;
}

/** The volume module plus what tests and compute need. */
export interface VolumeModule extends SiteModule, VolumeService {
  /** Resolves when every background create/extend/delete/attach has finished. */
  settled(): Promise<void>;
}

/** Builds the volume module. */
export async function createVolume(deps: SiteDeps, options: VolumeModuleOptions): Promise<VolumeModule> {
  const backend = options.backend ?? fileVolumeBackend(join(deps.config.dataDir, 'volumes'));
  const quotas = volumeQuotaStore(deps);
  const volumes = volumeRecords(deps, backend, options.image, quotas);
  const snapshots = snapshotRecords(deps, backend, volumes, quotas);
  const format = backend.format === 'qcow2' ? 'qcow2' : 'raw';
  const hotplug = options.hotplug ?? (options.fleet ? fleetVolumeHotplug(options.fleet, format) : undefined);
  const attachments = attachmentRecords(deps, volumes, hotplug);
  const ctx: VolumeContext = { deps, volumes, snapshots, attachments, quotas, image: options.image };
  return {
    app: volumeApi(ctx, options.identity.tokens),
    novaProxyApp: novaVolumeProxy(ctx, options.identity.tokens),
    ...volumeService(volumes, attachments, bootVolumes(volumes, attachments, deps.clock, format)),
    settled: () => volumes.settled(),
    async start() {
      await attachments.recoverInterrupted();
    },
    async stop() {
      await volumes.settled();
    },
  };
}
