import { BrumeError, badRequest, isBrumeError } from '../shared/errors.ts';
import type { HypervisorDriver } from '../shared/ports/hypervisor.ts';
import type { AgentCommand, InstanceInfo } from '../shared/schemas/agent-protocol.ts';

/** What a command did to one instance, for the agent's `instance` events. */
export type Effect = { instance: InstanceInfo; deleted: false } | { instanceId: string; deleted: true } | null;

/**
 * Runs one command on the driver. Results: `spawn`/`start`/`stop`/`reboot`/`pause`/`unpause`/`suspend`/`resume`/
 * `inspect` → InstanceInfo; `destroy`/`detach_volume` → null; `attach_volume` → `{ device }`; `volume_*` → see AgentCommand; `console` → the log text (string); `list` → InstanceInfo[].
 */
export async function execute(
  driver: HypervisorDriver,
  cmd: AgentCommand,
): Promise<{ result: unknown; effect: Effect }> {
  const changed = (instance: InstanceInfo) => ({ result: instance, effect: { instance, deleted: false as const } });
  switch (cmd.op) {
    case 'spawn':
      return changed(await driver.spawn(cmd.spec));
    case 'reboot':
      return changed(await driver.reboot(cmd.instanceId, cmd.hard));
    case 'console':
      return { result: await driver.consoleLog(cmd.instanceId, cmd.lines), effect: null };
    case 'list':
      return { result: await driver.list(), effect: null };
    case 'plug_port':
      await driver.plugPort(cmd.instanceId, cmd.port);
      return { result: null, effect: null };
    case 'unplug_port':
      await driver.unplugPort(cmd.instanceId, cmd.portId);
      return { result: null, effect: null };
    case 'network_policy':
      await driver.applyNetworkPolicy?.(cmd.policy);
      return { result: null, effect: null };
    case 'inspect':
      return { result: await driver.inspect(cmd.instanceId), effect: null };
    case 'attach_volume':
      return { result: { device: await driver.attachVolume(cmd.instanceId, cmd.volume) }, effect: null };
    case 'detach_volume':
      await driver.detachVolume(cmd.instanceId, cmd.volumeId, cmd.timeoutMs ? { timeoutMs: cmd.timeoutMs } : {});
      return { result: null, effect: null };
    case 'volume_create':
    case 'volume_delete':
    case 'volume_extend':
    case 'volume_export':
    case 'volume_unexport':
    case 'volume_upload':
      return { result: await executeVolume(driver, cmd), effect: null };
    case 'destroy':
      await driver.destroy(cmd.instanceId);
      return { result: null, effect: { instanceId: cmd.instanceId, deleted: true } };
    case 'stop':
    case 'start':
    case 'pause':
    case 'unpause':
    case 'suspend':
    case 'resume':
      return changed(await driver[cmd.op](cmd.instanceId));
    default:
      throw badRequest('agent.unknown_command', `Unknown command ${JSON.stringify((cmd as { op?: unknown }).op)}.`);
  }
}

type VolumeCommand = Extract<AgentCommand, { op: `volume_${string}` }>;

/** The `volume_*` commands on the host's volume storage (site-agent/volumes). */
async function executeVolume(driver: HypervisorDriver, cmd: VolumeCommand): Promise<unknown> {
  const storage = driver.volumeStorage;
  if (!storage) throw badRequest('agent.no_volume_storage', 'This host keeps no volumes.');
  switch (cmd.op) {
    case 'volume_create':
      return storage.create(cmd.name, cmd.sizeGiB, cmd.source);
    case 'volume_delete':
      await storage.delete(cmd.name);
      return null;
    case 'volume_extend':
      await storage.extend(cmd.name, cmd.sizeGiB);
      return null;
    case 'volume_export':
      return storage.export(cmd.name, cmd.client, cmd.readOnly === true);
    case 'volume_unexport':
      await storage.unexport(cmd.name, cmd.client);
      return null;
    case 'volume_upload':
      await storage.upload(cmd.name, { url: cmd.url, token: cmd.token, diskFormat: cmd.diskFormat });
      return null;
  }
}

/** Any failure as a BrumeError, so it can cross the bus as a WireError. */
export function asBrumeError(err: unknown): BrumeError {
  if (isBrumeError(err)) return err;
  return new BrumeError('internal', 'agent.driver_error', err instanceof Error ? err.message : String(err), {
    cause: err,
  });
}

/** The instance a command serializes on (commands on one VM run one after another); null for host-wide ones. */
export function instanceKey(cmd: AgentCommand): string | null {
  if (cmd.op === 'spawn') return cmd.spec.id;
  if (cmd.op === 'list') return null;
  // Policies replace each other: one at a time, in arrival order (instance ids are UUIDs, never this key).
  if (cmd.op === 'network_policy') return 'network_policy';
  // A volume's commands run one after another (a delete never races its create); never an instance id.
  if ('name' in cmd) return `volume:${cmd.name}`;
  return cmd.instanceId;
}
