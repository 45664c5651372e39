/**
 * The site <-> agent protocol over MQTT (version 1; fields are only ever added). Topics, under `brume/v1/<site>/`:
 * - `agents/<host>/status`  agent -> site, retained; `state: 'offline'` is the agent's last will.
 * - `agents/<host>/events`  agent -> site, QoS 1: instance state changes, heartbeats.
 * - `agents/<host>/cmd`     site -> agent, QoS 1, persistent session: {@link CommandEnvelope}.
 * - `agents/<host>/reply`   agent -> site, QoS 1: {@link ReplyEnvelope}, one per request id (re-sent on duplicates).
 */
import type { WireError } from '../errors.ts';
import type { HostNetworkPolicy } from './network-policy.ts';

/** Power state as Nova reports it (`OS-EXT-STS:power_state` numbers are derived from this). */
export type PowerState = 'nostate' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';

/** A NIC the hypervisor plugs into the VM. */
export interface InstancePort {
  id: string;
  networkId: string;
  mac: string;
  /** IPv4/IPv6 addresses with prefix length, e.g. `10.0.0.5/24`. */
  ips: string[];
  gateway?: string | null;
  mtu?: number;
  /** Security group ids (the host's {@link HostNetworkPolicy} holds their rules). Absent: none. */
  securityGroups?: string[];
  /** Neutron's port_security_enabled; false: no filtering, no anti-spoofing. Default true. */
  portSecurity?: boolean;
  /** The subnets of the port's addresses (DHCP options, network_data.json). Absent: learnt from `ips`/`gateway`. */
  subnets?: PortSubnet[];
  /** Nova's device tag of the interface (meta_data.json `devices`). */
  tag?: string;
}

/** A Neutron subnet as DHCP and network_data.json describe it to a guest. */
export interface PortSubnet {
  /** e.g. `10.0.0.0/24`. */
  cidr: string;
  gateway: string | null;
  dnsNameservers: string[];
  hostRoutes: Array<{ destination: string; nexthop: string }>;
}

/** Everything an agent needs to create a VM; the agent never calls back into the site's API for it. */
export interface InstanceSpec {
  id: string;
  name: string;
  hostname: string;
  projectId: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  image: {
    id: string;
    diskFormat: string | null;
    size: number | null;
    /** sha512 hex (Glance's os_hash_value). */
    hash: string | null;
    /** Where the agent downloads the bytes (the site's Glance `/file` URL). */
    url?: string;
    /**
     * Short-lived Keystone token for `url` (`X-Auth-Token`), scoped to the server's project on behalf of the user
     * who created it: the agent can read what that user can read, for minutes. Never persisted by agents.
     */
    token?: string;
  } | null;
  ports: InstancePort[];
  /** Base64, as Nova receives it. */
  userData?: string | null;
  /** SSH public keys by name. */
  publicKeys?: Record<string, string>;
  metadata?: Record<string, string>;
  availabilityZone?: string;
  configDrive?: boolean;
  /** Boot from volume: the root disk is this volume's file (no image, no overlay); it outlives the VM. */
  rootVolume?: VolumeAttachSpec | null;
  /** Volumes attached from the start (boot-time block device mappings other than the root), as attachVolume would. */
  volumes?: VolumeAttachSpec[];
}

/** A volume's disk as a hypervisor attaches it (`attach_volume`, or a boot volume). */
export interface VolumeAttachSpec {
  volumeId: string;
  /** The file on the agent's host holding the volume's bytes. */
  path: string;
  format: 'raw' | 'qcow2';
  /** Shown to the guest as the disk's serial (Nova: the volume id cut to 20 characters). Default that. */
  serial?: string;
  readOnly?: boolean;
  /** A boot volume holding an ISO image (Glance disk_format `iso`) boots as a CD-ROM. Default `disk`. */
  media?: 'disk' | 'cdrom';
  /**
   * The volume lives on another host of the site, which serves it over NBD (`volume_export`): the hypervisor opens
   * this export instead of `path` (then informative only), with `format` the guest-visible layer (`raw`).
   */
  nbd?: VolumeNbdExport;
}

/** An NBD export of a volume by its storage host (`volume_export`'s result), authenticated by TLS-PSK. */
export interface VolumeNbdExport {
  host: string;
  port: number;
  /** The export name. */
  export: string;
  /** TLS-PSK identity (the attaching host's name) and its hex key; only that identity can open the export. */
  pskIdentity: string;
  pskKey: string;
}

/** Where a new volume's bytes come from (`volume_create`). */
export type VolumeCreateSource =
  /** Another volume or snapshot on the same host (a copy: clones, snapshots, volumes from snapshots). */
  | { kind: 'local'; name: string }
  /** A Glance image, fetched through the host's image cache and converted with qemu-img. */
  | { kind: 'image'; image: NonNullable<InstanceSpec['image']> }
  /** A volume or snapshot of another host, read from its NBD export (`volume_export` to this host). */
  | { kind: 'remote'; nbd: VolumeNbdExport };

/** Volume storage a host offers (inventory; hosts without it keep no volumes). */
export interface HostVolumeStorage {
  /** Cinder's backend and pool names (`<host>@<backend>#<pool>`). */
  backend: string;
  pool: string;
  totalGiB: number;
  freeGiB: number;
  /** The address other hosts reach its NBD exports on. */
  address: string;
}

/** What a driver knows about one VM. */
export interface InstanceInfo {
  id: string;
  powerState: PowerState;
  /** Milliseconds since epoch when the driver last observed it. */
  observedAt: number;
}

/** What a host offers. */
export interface HostInventory {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  hypervisorType: string;
  hypervisorVersion: number;
  cpuInfo?: string;
  /** The host enforces security groups (its agent takes `network_policy` commands; site-agent/network). */
  networkDataPlane?: boolean;
  /** The host keeps volumes (its agent takes the `volume_*` commands). */
  volumeStorage?: HostVolumeStorage;
}

/** A command from site to agent. Idempotent: the same `requestId` is executed at most once. */
export type AgentCommand =
  | { op: 'spawn'; spec: InstanceSpec }
  | { op: 'reboot'; instanceId: string; hard: boolean }
  | { op: 'console'; instanceId: string; lines?: number }
  | {
      op: 'stop' | 'start' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'destroy' | 'inspect';
      instanceId: string;
    }
  | { op: 'list' }
  /** Replaces the security-group policy of the host's ports (ignored unless newer). Result: null. */
  | { op: 'network_policy'; policy: HostNetworkPolicy }
  /** Result: null. */
  | { op: 'plug_port'; instanceId: string; port: InstancePort }
  | { op: 'unplug_port'; instanceId: string; portId: string }
  /** Result: `{ device }` (the predicted guest device name). */
  | { op: 'attach_volume'; instanceId: string; volume: VolumeAttachSpec }
  | { op: 'detach_volume'; instanceId: string; volumeId: string; timeoutMs?: number }
  /**
   * Volume storage on the host (names are `volume-<id>` or `snapshot-<id>`; all idempotent). Create result:
   * `{ path, format, sizeGiB }`; a failed create leaves nothing behind.
   */
  | { op: 'volume_create'; name: string; sizeGiB: number; source?: VolumeCreateSource }
  /** Result: null; deleting a missing volume succeeds (its exports go too). */
  | { op: 'volume_delete'; name: string }
  /** Result: null; never shrinks. */
  | { op: 'volume_extend'; name: string; sizeGiB: number }
  /** Serves the volume over NBD to one host (`client`); result: {@link VolumeNbdExport}. */
  | { op: 'volume_export'; name: string; client: string; readOnly?: boolean }
  /** Stops that export; result: null. */
  | { op: 'volume_unexport'; name: string; client: string }
  /** Writes the volume's bytes into a Glance image (`PUT url` with `token`), converted to `diskFormat`; null. */
  | { op: 'volume_upload'; name: string; url: string; token: string; diskFormat: string };

export interface CommandEnvelope {
  v: 1;
  requestId: string;
  command: AgentCommand;
  sentAt: number;
}

export type ReplyEnvelope =
  | { v: 1; requestId: string; ok: true; result: unknown }
  | { v: 1; requestId: string; ok: false; error: WireError };

/** Retained status of an agent (its last will publishes `state: 'offline'`). */
export interface AgentStatus {
  v: 1;
  host: string;
  state: 'online' | 'offline';
  inventory?: HostInventory;
  availabilityZone?: string;
  /** Agent process start time: a change means the agent restarted and must be reconciled. */
  bootId?: string;
  at: number;
}

export type AgentEvent =
  | { v: 1; type: 'heartbeat'; host: string; at: number; instances: InstanceInfo[] }
  | { v: 1; type: 'instance'; host: string; at: number; instance: InstanceInfo; deleted?: boolean };

/** MQTT topic names; one place so site and agent never disagree. */
export const topics = {
  status: (site: string, host: string) => `brume/v1/${site}/agents/${host}/status`,
  events: (site: string, host: string) => `brume/v1/${site}/agents/${host}/events`,
  cmd: (site: string, host: string) => `brume/v1/${site}/agents/${host}/cmd`,
  reply: (site: string, host: string) => `brume/v1/${site}/agents/${host}/reply`,
  /** Wildcard subscriptions the site uses. */
  allStatus: (site: string) => `brume/v1/${site}/agents/+/status`,
  allEvents: (site: string) => `brume/v1/${site}/agents/+/events`,
  allReplies: (site: string) => `brume/v1/${site}/agents/+/reply`,
};
