/**
 * The metadata module: the site's side of the 169.254.169.254 service (routes.ts), fed by compute's spawn specs so
 * guests see the same documents as on their config drive. The agents' side is site-agent/network/metadata*.ts;
 * network/policy-sync.ts hands them the URL and secret.
 */
import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import type { SiteDeps, SiteModule } from '../services.ts';
import { metadataRoutes } from './routes.ts';
import { metadataSecret } from './secret.ts';

/** Builds the module; `instanceSpec` is compute's. */
export function createMetadata(
  deps: SiteDeps,
  services: { instanceSpec(id: string): Promise<InstanceSpec | undefined> },
): SiteModule {
  return {
    app: metadataRoutes({ secret: () => metadataSecret(deps.config), instanceSpec: services.instanceSpec }),
  };
}
