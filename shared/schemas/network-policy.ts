/**
 * Security-group policy as the site sends it to an agent (wire version 1 of the `network_policy` agent command;
 * fields are only ever added). The site sends each host the full policy of the ports bound to it whenever a rule,
 * a group's membership or a port's groups change; an agent keeps the newest revision and renders it into nftables.
 */
import type { MetadataEndpoint } from '../metadata-signature.ts';

/** One Neutron security-group rule, as the agent enforces it. */
export interface SecurityRuleSpec {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** Neutron's protocol: a name (`tcp`, `icmp`, …), a number as text, or null for any. */
  protocol: string | null;
  /** TCP/UDP/SCTP port range; for ICMP, min is the type and max the code. */
  portMin: number | null;
  portMax: number | null;
  remoteIpPrefix: string | null;
  /** Rule applies to traffic from/to the addresses of this group's ports (see {@link SecurityGroupSpec.members}). */
  remoteGroupId: string | null;
}

/** A security group with its rules and the addresses of its members (for remote_group_id rules). */
export interface SecurityGroupSpec {
  id: string;
  rules: SecurityRuleSpec[];
  /** Addresses (no prefix length) of every port in the group, on any host. */
  members: string[];
}

/** Security settings of one port. */
export interface PortSecurity {
  securityGroups: string[];
  /** Neutron's port_security_enabled: false means no filtering and no anti-spoofing. */
  portSecurity: boolean;
}

/** The full policy of one host's ports; a higher `revision` replaces a lower one, an equal or lower is ignored. */
export interface HostNetworkPolicy {
  revision: number;
  /** By port id: the ports bound to this host. */
  ports: Record<string, PortSecurity>;
  /** Every group those ports are in, and every group their rules name as remote group. */
  groups: SecurityGroupSpec[];
  /** The site's metadata service the host's relay asks, with the shared secret it signs instance ids with. */
  metadata?: MetadataEndpoint;
  /** Routers with an interface on a network this host has ports on (added later: absent means none). */
  routers?: RouterSpec[];
}

/** One leg of a router: a router port (interface or gateway) and its addresses. */
export interface RouterLegSpec {
  portId: string;
  networkId: string;
  mac: string;
  /** Addresses with the subnet's prefix length (`10.0.0.1/24`): an interface holds its subnet's gateway. */
  ips: string[];
}

/** The router's external gateway (a network:router_gateway port on a router:external network). */
export interface RouterGatewaySpec extends RouterLegSpec {
  /** The external subnet's gateway: the router's default route (null: none). */
  nextHop: string | null;
  /** SNAT of the internal subnets to the gateway address (Neutron's enable_snat). */
  enableSnat: boolean;
}

/** A floating IP associated with a port behind the router: 1:1 DNAT/SNAT. */
export interface FloatingIpSpec {
  id: string;
  floatingIp: string;
  fixedIp: string;
}

/** A Neutron router as an agent host plumbs it. */
export interface RouterSpec {
  id: string;
  interfaces: RouterLegSpec[];
  gateway: RouterGatewaySpec | null;
  floatingIps: FloatingIpSpec[];
  /** Extra routes (Neutron's `routes`). */
  routes: Array<{ destination: string; nexthop: string }>;
}
