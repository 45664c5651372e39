// PLACEHOLDER — replaced by the compute module (Nova v2.1).
import { Hono } from 'hono';
import type { AppEnv } from '../api/env.ts';
import type {
  Fleet,
  IdentityService,
  ImageService,
  NetworkService,
  Placement,
  SiteDeps,
  SiteModule,
} from '../services.ts';

/** Everything compute uses from other modules. */
export interface ComputeServices {
  identity: IdentityService;
  image: ImageService;
  network: NetworkService;
  fleet: Fleet;
  placement: Placement;
}

/** Builds the compute module. */
export async function createCompute(_deps: SiteDeps, _services: ComputeServices): Promise<SiteModule> {
  return { app: new Hono<AppEnv>() };
}
