import type { Fleet, IdentityService, ImageService, NetworkService, Placement } from '../services.ts';

/** Everything compute uses from other modules. */
export interface ComputeServices {
  identity: IdentityService;
  image: ImageService;
  network: NetworkService;
  fleet: Fleet;
  placement: Placement;
}
