import type { SiteConfig } from '../../shared/config.ts';
import type { ImageService, SiteDeps } from '../services.ts';
import type { Attachments } from './attachments.ts';
import type { VolumeBackend } from './backend.ts';
import type { VolumeQuotas } from './quotas.ts';
import type { Snapshots } from './snapshots.ts';
import type { Volumes } from './volumes.ts';

/** What the volume routes share. */
export interface VolumeContext {
  deps: SiteDeps;
  volumes: Volumes;
  snapshots: Snapshots;
  attachments: Attachments;
  quotas: VolumeQuotas;
  image: ImageService;
  /** The storage (uploads go through it when its hosts hold the bytes). */
  backend?: VolumeBackend;
}

/** The public base URL of the volume service (`…/volume`). */
export function volumeBase(config: SiteConfig): string {
  return `${(config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '')}/volume`;
}
