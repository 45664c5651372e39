import { createHash } from 'node:crypto';

/**
 * Names of a router's kernel objects on an agent host, after Neutron's L3 agent: a namespace per router
 * (`qrouter-<id>` there; here prefixed by the host's namespace so parallel agents on one machine never share one),
 * `qr-<port>` legs into internal subnets and a `qg-<port>` leg into the external network, each a veth whose other end
 * (`rh-`/`gh-`) sits on the network's bridge in the host's namespace. Interface names stay within 15 characters.
 */

const safe = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 11);

/** The prefix of every router namespace of a host namespace. */
export const routerNamespacePrefix = (hostNs: string) => `${hostNs}-qr-`;

/** The namespace of one router on a host. */
export const routerNamespace = (hostNs: string, routerId: string) =>
  `${routerNamespacePrefix(hostNs)}${safe(routerId)}`;

/** A router's leg into an internal subnet (inside the router namespace) and its bridge end (host namespace). */
export const legName = (portId: string) => `qr-${safe(portId)}`;
export const legPeerName = (portId: string) => `rh-${safe(portId)}`;

/** The router's leg into the external network and its bridge end. */
export const gatewayName = (portId: string) => `qg-${safe(portId)}`;
export const gatewayPeerName = (portId: string) => `gh-${safe(portId)}`;

/** The host namespace's end of the uplink from an external network's bridge to the provider bridge. */
export const uplinkName = (networkId: string) => `up${safe(networkId)}`;

/** The uplink's other end, on the provider bridge: unique per host namespace (several agents share one machine). */
export const uplinkPeerName = (hostNs: string, networkId: string) =>
  `ux${createHash('sha256').update(`${hostNs}\0${networkId}`).digest('hex').slice(0, 11)}`;

/** The network id part of a bridge or uplink name (`brq…`/`up…`), for clean-ups that start from kernel state. */
export const safeId = safe;
