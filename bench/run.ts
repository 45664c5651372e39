/** `npm run bench`: runs every benchmark and prints its figures. `npm run bench -- site` runs one group. */
import { benchCatalog } from './catalog.ts';
import { benchConvergence } from './convergence.ts';
import { benchDashboard } from './dashboard.ts';
import { benchGlobal } from './global.ts';
import { benchHeat } from './heat.ts';
import { benchLinks } from './links.ts';
import { benchMetadata } from './metadata.ts';
import { benchNetwork } from './network.ts';
import { benchOverlay } from './overlay.ts';
import { benchQuota } from './quota.ts';
import { benchScenarios } from './scenarios.ts';
import { benchSimHosts } from './sim-hosts.ts';
import { benchSite } from './site.ts';
import { benchTransports } from './transports.ts';
import { benchVm } from './vm.ts';
import { benchVmVolumes } from './vm-volumes.ts';

const groups: Record<string, () => Promise<void>> = {
  site: benchSite,
  vm: benchVm,
  'vm-volumes': benchVmVolumes,
  network: benchNetwork,
  catalog: () => benchCatalog(),
  convergence: () => benchConvergence(),
  overlay: () => benchOverlay(),
  transports: () => benchTransports(),
  quota: benchQuota,
  dashboard: benchDashboard,
  global: benchGlobal,
  scenarios: benchScenarios,
  'sim-hosts': benchSimHosts,
  heat: benchHeat,
  links: benchLinks,
  metadata: benchMetadata,
};
const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(groups)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  console.log(`\n== ${name}`);
  await run();
}
