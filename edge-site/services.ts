/**
 * The seams between a site's modules. Each module is built by a factory taking {@link SiteDeps} plus the services
 * it uses, and returns its Hono sub-app and the service it offers. `create-edge-site.ts` wires them.
 */
import type { Hono } from 'hono';
import type { SiteConfig } from '../shared/config.ts';
import type { CatalogStore } from '../shared/ports/catalog-store.ts';
import type { Clock } from '../shared/ports/clock.ts';
import type { IdSource } from '../shared/ports/ids.ts';
import type { Logger } from '../shared/ports/logger.ts';
import type {
  AgentCommand,
  HostInventory,
  InstanceInfo,
  PortSubnet,
  VolumeAttachSpec,
} from '../shared/schemas/agent-protocol.ts';
import type { Image } from '../shared/schemas/catalog/index.ts';
import type { AppEnv, AuthContext } from './api/env.ts';
import type { TokenValidator } from './api/middleware/auth.ts';
import type { SiteDatabase } from './db/client.ts';
import type { Metrics } from './ops/metrics.ts';

/** What every module receives. */
export interface SiteDeps {
  config: SiteConfig;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  db: SiteDatabase;
  catalog: CatalogStore;
  metrics: Metrics;
  /** Set by federation (federation/quota) on a federated site before it serves; absent at a lone site. */
  quotaEscrow?: QuotaEscrow;
}

/** The outcome of {@link QuotaEscrow.reserve}. */
export type EscrowVerdict =
  | { ok: true }
  /** `share`: what this site may consume now; `unreachable`: sites out of reach that hold the rest. */
  | { ok: false; share: number; unreachable: string[] };

/**
 * Partition-safe quotas of a federated site: a project's limit is federation-wide, split into per-site shares, and a
 * site short of share asks reachable peers for more. Resources are named `<service>.<resource>` (`compute.cores`).
 */
export interface QuotaEscrow {
  /** The federation-wide limit an admin set at any site, or undefined (then the site's own limit applies). */
  limitOf(projectId: string, resource: string): number | undefined;
  /** Records a federation-wide limit set by an admin at this site (re-splits the shares). */
  setLimit(projectId: string, resource: string, limit: number): Promise<void>;
  /** Forgets an admin-set limit (back to the defaults). */
  resetLimit(projectId: string, resource: string): Promise<void>;
  /** Whether this site may go from `used` to `used + want` under `limit` (-1 unlimited), asking peers if short. */
  reserve(projectId: string, resource: string, used: number, want: number, limit: number): Promise<EscrowVerdict>;
}

/** A module's HTTP face and lifecycle. */
export interface SiteModule {
  /** Routes, mounted by the composition root at the module's prefix. */
  readonly app: Hono<AppEnv>;
  start?(): Promise<void>;
  /** Stops background work; in-flight requests have already finished. */
  stop?(): Promise<void>;
}

// ---------------------------------------------------------------- identity

/** Identity as other modules use it. */
export interface IdentityService {
  readonly tokens: TokenValidator;
  /** Creates the default domain, roles, admin project/user/assignment and catalog entries if missing. */
  bootstrap(input: {
    adminUser: string;
    adminPassword: string;
    adminProject: string;
    publicUrl: string;
  }): Promise<void>;
  /**
   * A short-lived project-scoped token on behalf of `userId` (e.g. for an agent to download the image of a server
   * that user creates). Throws `unauthorized` when the user has no role on the project any more.
   */
  issueDelegatedToken?(input: { userId: string; projectId: string; ttlMs: number }): Promise<string>;
}

// ---------------------------------------------------------------- image

/** Images as compute uses them. */
export interface ImageService {
  /** The image if `auth` may boot it (visibility, membership, active); throws a BrumeError otherwise. */
  getForBoot(auth: AuthContext, imageId: string): Image;
  /** URL from which an agent of this site downloads the image's bytes (authenticated by a site-internal token). */
  fileUrl(imageId: string): string;
}

// ---------------------------------------------------------------- network

/** A port bound to a server, as compute shows it in `addresses`. */
export interface ServerPort {
  portId: string;
  networkId: string;
  networkName: string;
  macAddress: string;
  fixedIps: Array<{
    ipAddress: string;
    subnetId: string;
    version: 4 | 6;
    prefixLength: number;
    gateway: string | null;
  }>;
  /** The network's MTU (handed to the guest by DHCP and network_data.json). */
  mtu?: number;
  /** The subnets of `fixedIps`, once each (gateway, DNS servers, host routes for DHCP and network_data.json). */
  subnets?: PortSubnet[];
}

/** What a server asks of the network: Nova's `networks` field. */
export type NetworkRequest = 'auto' | 'none' | Array<{ uuid?: string; port?: string; fixed_ip?: string; tag?: string }>;

/** Ports as compute uses them. */
export interface NetworkService {
  /**
   * Creates (or binds existing) ports for a server. `auto` uses the one network visible to the project (its own,
   * else a shared one) and is a 400 when there are several; `none` binds nothing. All-or-nothing.
   */
  allocateForServer(auth: AuthContext, serverId: string, request: NetworkRequest, host: string): Promise<ServerPort[]>;
  /** Ports bound to a server (empty when none). */
  portsOfServer(serverId: string): Promise<ServerPort[]>;
  /** Ports of many servers at once (listings): every id is a key, with an empty list when it has none. */
  portsOfServers(serverIds: readonly string[]): Promise<Map<string, ServerPort[]>>;
  /** Deletes ports created for the server and unbinds pre-existing ones. Idempotent. */
  releaseForServer(serverId: string): Promise<void>;
  /** Releases one port of a server like releaseForServer (os-interface detach); false when it is not the server's. */
  releasePort?(serverId: string, portId: string): Promise<boolean>;
}

// ---------------------------------------------------------------- fleet (agents) and placement

/** A host as the site knows it from its agent. */
export interface HostState {
  /** The host name (Nova's `host`, `hypervisor_hostname`). */
  id: string;
  /** Stable numeric id for os-hypervisors / os-services (v2.1 shows integers). */
  numericId: number;
  /** `up` while the agent is connected and heartbeating. */
  state: 'up' | 'down';
  enabled: boolean;
  disabledReason: string | null;
  availabilityZone: string;
  inventory: HostInventory;
  /** Milliseconds since epoch. */
  lastSeen: number;
  /** Brume's record of the agent's boot id; a change means it restarted. */
  bootId: string | null;
}

/** Events the fleet reports. */
export type FleetEvent =
  | { type: 'instance'; host: string; instance: InstanceInfo; deleted: boolean }
  | { type: 'host'; host: HostState }
  /** After an agent (re)connects: every VM it has. Compute reconciles against its records. */
  | { type: 'inventory'; host: string; instances: InstanceInfo[] };

/** The site's hosts and the bus to their agents. */
export interface Fleet {
  hosts(): readonly HostState[];
  host(id: string): HostState | undefined;
  setEnabled(id: string, enabled: boolean, reason?: string | null): Promise<HostState>;
  /**
   * Sends a command and resolves with the agent's result. Idempotent by `requestId` (default: a new id). Rejects
   * with a BrumeError: the agent's error, `fleet.host_down` (unavailable), or `fleet.command_timeout` (timeout).
   */
  send<R = unknown>(host: string, command: AgentCommand, opts?: { requestId?: string; timeoutMs?: number }): Promise<R>;
  subscribe(listener: (event: FleetEvent) => void): () => void;
}

/** What a server needs from a host. */
export interface ClaimRequest {
  consumerId: string;
  projectId: string;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  availabilityZone?: string;
  /** Image properties for the ImagePropertiesFilter (hw_architecture, hypervisor_type, …). */
  imageProperties?: Record<string, string>;
  /** Server-group policy, when the server is in a group. */
  group?: { policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity'; memberHosts: string[] };
  /** Hosts not to use (retries). */
  ignoreHosts?: string[];
  /** Force a host (admin `availability_zone: "nova:host"`). */
  forceHost?: string;
}

/** Usage of one host by allocations. */
export interface HostUsage {
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  instances: number;
}

/**
 * Placement: claims capacity on a host atomically (pure scheduler over a snapshot + a serialized claim), so that
 * concurrent creates never over-commit a host.
 */
export interface Placement {
  /** Chooses a host and records the allocation; throws `scheduler.no_valid_host` (with reasons) when none fits. */
  claim(req: ClaimRequest): Promise<{ host: string }>;
  /** Frees a consumer's allocation. Idempotent. */
  release(consumerId: string): Promise<void>;
  usage(host: string): HostUsage;
}

// ---------------------------------------------------------------- volume

/** A volume attached to a server, as Nova's os-volume_attachments shows it. */
export interface ServerVolumeAttachment {
  attachmentId: string;
  volumeId: string;
  serverId: string;
  device: string | null;
  /** Nova's block device mapping flag (volumes a server was booted with). */
  deleteOnTermination?: boolean;
}

/** A block device mapping with destination `volume` (Nova's `block_device_mapping_v2`, legacy ones converted). */
export interface BootVolumeRequest {
  source: 'image' | 'volume' | 'snapshot' | 'blank';
  /** The image, volume or snapshot id (absent for blank). */
  uuid?: string;
  sizeGiB?: number;
  /** 0 for the root disk; null when the volume is not bootable in this server. */
  bootIndex: number | null;
  deleteOnTermination: boolean;
}

/** Volumes as compute uses them (attach/detach on servers). */
/** One volume of a volume-backed server's snapshot image (Nova's image-defined block device mapping, bdm v2). */
export interface ImageBlockDevice {
  snapshotId: string;
  sizeGiB: number;
  bootIndex: number | null;
  deviceName: string | null;
  deleteOnTermination: boolean;
  /** The root volume's `volume_image_metadata` (the image it came from), for the new image's properties. */
  imageMetadata: Record<string, string> | null;
}

export interface VolumeService {
  /** Attachments of a server (empty when none). */
  attachmentsOfServer(serverId: string): Promise<ServerVolumeAttachment[]>;
  /**
   * Attaches a volume `auth` may see to a server: 404 for an unknown volume, 400 unless the volume is available.
   * Resolves with the attachment once recorded; the volume turns `in-use` when the host has plugged it.
   */
  attachToServer(
    auth: AuthContext,
    volumeId: string,
    server: { id: string; host: string | null },
    device?: string | null,
  ): Promise<ServerVolumeAttachment>;
  /** Detaches; 404 when the volume is not attached to the server. */
  detachFromServer(auth: AuthContext, volumeId: string, serverId: string): Promise<void>;
  /**
   * Records the volumes a new server boots with (creating those from an image, snapshot or blank); a 400 when one
   * cannot be used, and then nothing is recorded.
   */
  prepareBootVolumes?(auth: AuthContext, serverId: string, requests: BootVolumeRequest[]): Promise<void>;
  /**
   * Waits for a server's mapped volumes and returns the disks of its spawn spec: the root (null: it boots an image)
   * and the others, attached from the start.
   */
  bootDisks?(
    serverId: string,
    host: string | null,
  ): Promise<{ root: VolumeAttachSpec | null; others: VolumeAttachSpec[] }>;
  /** A deleted server's volumes are available again; those marked delete_on_termination are deleted. Idempotent. */
  releaseServer?(serverId: string): Promise<void>;
  /**
   * Nova's swap of an attached volume for another: 400 for an unknown new volume, 404 when the old one is not
   * attached; the swap itself is refused (409) — no data is copied between volumes here.
   */
  swapOnServer?(auth: AuthContext, serverId: string, oldVolumeId: string, newVolumeId: string): Promise<void>;
  /**
   * Nova's createImage of a volume-backed server: snapshots (forced) each of its mapped volumes and returns them as
   * image-defined block device mappings (Nova's `block_device_mapping` image property). Empty: not volume-backed.
   */
  snapshotServerVolumes?(auth: AuthContext, serverId: string, name: string): Promise<ImageBlockDevice[]>;
  /** Nova's deprecated `os-volumes`/`os-snapshots` proxy routes, mounted by compute at `/v2.1`. */
  readonly novaProxyApp?: Hono<AppEnv>;
}
