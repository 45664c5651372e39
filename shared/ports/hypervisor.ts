import type {
  HostInventory,
  HostVolumeStorage,
  InstanceInfo,
  InstancePort,
  InstanceSpec,
  VolumeAttachSpec,
  VolumeCreateSource,
  VolumeNbdExport,
} from '../schemas/agent-protocol.ts';
import type { HostNetworkPolicy } from '../schemas/network-policy.ts';

/**
 * A hypervisor as the site agent drives it (Nomad-narrow, not Nova-wide). Implementations: `fake` (memory, delays,
 * failure injection) and `qemu` (real VMs). All pass `shared/testing/run-hypervisor-contract.ts`.
 *
 * Failure semantics:
 * - `spawn` either returns a running VM or throws and leaves nothing behind; spawning an id that already exists
 *   returns its current info (idempotent);
 * - `destroy` of a missing VM succeeds;
 * - `stop` of a stopped VM and `start` of a running one succeed without effect;
 * - operations on a missing VM throw a BrumeError with code `hypervisor.instance_not_found` (kind not_found);
 * - an operation invalid in the current state throws code `hypervisor.invalid_state` (kind conflict);
 * - `recover()` rebuilds the driver's view from what exists on the host after an agent restart.
 */
export interface HypervisorDriver {
  /** `fake`, `qemu`, … (shown as Nova's hypervisor_type). */
  readonly type: string;
  inventory(): Promise<HostInventory>;
  /** All VMs this driver knows of on the host (after `recover`, including those from before a restart). */
  list(): Promise<InstanceInfo[]>;
  recover(): Promise<InstanceInfo[]>;
  spawn(spec: InstanceSpec): Promise<InstanceInfo>;
  inspect(id: string): Promise<InstanceInfo>;
  stop(id: string): Promise<InstanceInfo>;
  start(id: string): Promise<InstanceInfo>;
  reboot(id: string, hard: boolean): Promise<InstanceInfo>;
  pause(id: string): Promise<InstanceInfo>;
  unpause(id: string): Promise<InstanceInfo>;
  suspend(id: string): Promise<InstanceInfo>;
  resume(id: string): Promise<InstanceInfo>;
  destroy(id: string): Promise<void>;
  /**
   * Hot-plugs a volume's disk (cold-plugs it when the VM is not running: it appears at the next start) and returns
   * the guest device name it should get (`/dev/vdc`; a prediction, as in Nova). Idempotent: attaching an attached
   * volume returns its device. Survives an agent restart (`recover()` knows what is attached).
   */
  attachVolume(instanceId: string, volume: VolumeAttachSpec): Promise<string>;
  /**
   * Unplugs a volume: asks the guest to release the device and waits up to `timeoutMs` (default 30 s); throws
   * `hypervisor.detach_timeout` (kind unavailable, retryable) when the guest does not let go, leaving it attached.
   * Detaching a volume that is not attached succeeds.
   */
  detachVolume(instanceId: string, volumeId: string, opts?: { timeoutMs?: number }): Promise<void>;
  /**
   * Plugs a port's NIC into the VM: hot-plugged when it runs, else it appears at the next start; on hosts with a
   * network data plane, on the port's tap. Idempotent (a plugged port, by id or MAC, is left as is). Survives an
   * agent restart.
   */
  plugPort(instanceId: string, port: InstancePort): Promise<void>;
  /** Unplugs a port's NIC (and its tap, DHCP entry and rules). Unplugging a port that is not plugged succeeds. */
  unplugPort(instanceId: string, portId: string): Promise<void>;
  /**
   * Optional: enforces the security-group policy of the host's ports (drivers with a network data plane).
   * Idempotent; a policy whose revision is not newer than the current one is ignored.
   */
  applyNetworkPolicy?(policy: HostNetworkPolicy): Promise<void>;
  /** The serial console log, last `lines` lines when given. */
  consoleLog(id: string, lines?: number): Promise<string>;
  /** Releases resources held by the driver itself (not the VMs). */
  close(): Promise<void>;
  /** Optional: the host's volume storage (the `volume_*` commands); hosts without it keep no volumes. */
  readonly volumeStorage?: VolumeStorage;
}

/**
 * Volumes kept on an agent's host (Cinder's volume service on a storage host): files under the agent's data dir
 * (site-agent/volumes/file-storage.ts) or memory (the fake driver). Every operation is idempotent; `create` either
 * completes or leaves nothing behind; deleting a missing name succeeds. Names are `volume-<id>` / `snapshot-<id>`.
 */
export interface VolumeStorage {
  capacity(): Promise<HostVolumeStorage>;
  create(
    name: string,
    sizeGiB: number,
    source?: VolumeCreateSource,
  ): Promise<{ path: string; format: 'raw' | 'qcow2'; sizeGiB: number }>;
  delete(name: string): Promise<void>;
  extend(name: string, sizeGiB: number): Promise<void>;
  export(name: string, client: string, readOnly: boolean): Promise<VolumeNbdExport>;
  unexport(name: string, client: string): Promise<void>;
  upload(name: string, target: { url: string; token: string; diskFormat: string }): Promise<void>;
  close(): Promise<void>;
}
