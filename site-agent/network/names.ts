import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * Names of the data plane's kernel objects. Interface names are at most 15 characters (IFNAMSIZ - 1); the Neutron
 * conventions are kept where they fit: `tap<port-id[:11]>` (Nova/os-vif) and `brq<network-id[:11]>` (linuxbridge).
 */

/** The agent's network namespace: unique per host id and data folder, so parallel agents never share one. */
export function namespaceName(hostId: string, dataDir: string): string {
  return `brume-${createHash('sha256').update(`${hostId}\0${dataDir}`).digest('hex').slice(0, 10)}`;
}

const safe = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 11);

/** The tap of a port. */
export const tapName = (portId: string) => `tap${safe(portId)}`;

/** The bridge of a network on this host. */
export const bridgeName = (networkId: string) => `brq${safe(networkId)}`;

/** Files of the data plane under the agent's data folder. */
export const networkFiles = (dir: string) => ({
  state: join(dir, 'state.json'),
  ruleset: join(dir, 'ruleset.nft'),
  hosts: (networkId: string) => join(dir, `dhcp-${safe(networkId)}.hosts`),
  dnsmasqPid: (networkId: string) => join(dir, `dhcp-${safe(networkId)}.pid`),
  leases: (networkId: string) => join(dir, `dhcp-${safe(networkId)}.leases`),
});
