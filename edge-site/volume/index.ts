/**
 * The block storage module (Cinder v3 for one edge site): volumes, snapshots, attachments. Volumes live on the
 * site's agent hosts that keep volumes (agent-backend.ts), else in the site's folder (backend.ts).
 */
import { join } from 'node:path';
import { eq, like } from 'drizzle-orm';
import { volumeApi } from '../api/volume/index.ts';
import { novaVolumeProxy } from '../api/volume/nova-proxy.ts';
import { volumes as volumeTable } from '../db/schema/volume.ts';
import type { Fleet, IdentityService, ImageService, SiteDeps, SiteModule, VolumeService } from '../services.ts';
import { volumeAccess } from './access.ts';
import { agentVolumeBackend } from './agent-backend.ts';
import { fleetVolumeHotplug } from './agent-hotplug.ts';
import { attachmentRecords, type VolumeHotplug } from './attachments.ts';
import { fileVolumeBackend, type VolumeBackend } from './backend.ts';
import { bootVolumes } from './boot.ts';
import type { VolumeContext } from './context.ts';
import { parseHandle } from './handles.ts';
import { volumeQuotaStore } from './quotas.ts';
import { volumeService } from './service.ts';
import { snapshotRecords } from './snapshots.ts';
import { volumeRecords } from './volumes.ts';

/** Options of the volume module. */
export interface VolumeModuleOptions {
  identity: IdentityService;
  image: ImageService;
  /**
   * Default: on the fleet's hosts that keep volumes (agent backend), else sparse raw files under
   * `<dataDir>/volumes/` (also where volumes created by earlier versions stay, readable and attachable).
   */
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
  const local = fileVolumeBackend(join(deps.config.dataDir, 'volumes'));
  const provisioned = async () => {
    const out = new Map<string, number>();
    const placed = await deps.db.db.select().from(volumeTable).where(like(volumeTable.path, 'brume-agent://%'));
    for (const v of placed) {
      const host = parseHandle(v.path)?.host;
      if (host) out.set(host, (out.get(host) ?? 0) + v.sizeGiB);
    }
    return out;
  };
  const backend =
    options.backend ??
    (options.fleet
      ? agentVolumeBackend({
          fleet: options.fleet,
          local,
          provisioned,
          log: deps.log.child({ module: 'volume' }),
          placed: async (id, handle) => {
            await deps.db.db.update(volumeTable).set({ path: handle }).where(eq(volumeTable.id, id));
          },
        })
      : local);
  const quotas = volumeQuotaStore(deps);
  const volumes = volumeRecords(deps, backend, options.image, quotas);
  const snapshots = snapshotRecords(deps, backend, volumes, quotas);
  const format = backend.format === 'qcow2' ? 'qcow2' : 'raw';
  const access = volumeAccess(options.fleet, format);
  const hotplug = options.hotplug ?? (options.fleet ? fleetVolumeHotplug(options.fleet, access) : undefined);
  const attachments = attachmentRecords(deps, volumes, hotplug);
  const ctx: VolumeContext = { deps, volumes, snapshots, attachments, quotas, image: options.image, backend };
  return {
    app: volumeApi(ctx, options.identity.tokens),
    novaProxyApp: novaVolumeProxy(ctx, options.identity.tokens),
    ...volumeService(
      volumes,
      attachments,
      bootVolumes(volumes, attachments, deps.clock, access, backend.relocate?.bind(backend)),
      snapshots,
      deps.clock,
    ),
    settled: () => volumes.settled(),
    async start() {
      await attachments.recoverInterrupted();
      await volumes.recoverInterrupted();
    },
    async stop() {
      await volumes.settled();
    },
  };
}
