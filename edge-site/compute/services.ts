import type { Fleet, IdentityService, ImageService, NetworkService, Placement, VolumeService } from '../services.ts';

/** Everything compute uses from other modules. */
export interface ComputeServices {
  identity: IdentityService;
  image: ImageService;
  network: NetworkService;
  fleet: Fleet;
  placement: Placement;
  /** Block storage (os-volume_attachments); absent when the site runs without it. */
  volume?: VolumeService;
}
