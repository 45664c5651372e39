/**
 * Port hot-plug for QEMU VMs: `netdev_add` + `device_add` of a virtio-net NIC on the port's tap (or a user-mode
 * NIC without a data plane), `device_del` + `netdev_del` to unplug. The plan (instance.json) is the record: a port
 * plugged while the VM is stopped appears at its next start, and a restarted agent knows what is plugged.
 */
import { BrumeError } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import type { InstancePort } from '../../../shared/schemas/agent-protocol.ts';
import type { NetworkDataPlane } from '../../network/data-plane.ts';
import { type LaunchPlan, type NicPlan, nicPlan } from './command-line.ts';
import { netdevAddArgs } from './nic.ts';
import type { QmpClient } from './qmp.ts';

/** What hot-plug needs of one VM (the driver serializes operations on it). */
export interface NicVm {
  id: string;
  plan: LaunchPlan;
  /** QEMU is running (paused or not): changes apply now, else at the next start. */
  live: boolean;
  qmp<T>(fn: (qmp: QmpClient) => Promise<T>): Promise<T>;
  /** Writes `plan` back to instance.json. */
  savePlan(): Promise<void>;
  network?: NetworkDataPlane;
  clock: Clock;
  log: Logger;
}

/** Gives every NIC its stable QEMU id (plans from before hot-plug used the index). */
function settleIds(plan: LaunchPlan): void {
  plan.nics = plan.nics.map((nic, i) => (nic.qemuId ? nic : { ...nic, qemuId: `net${i}` }));
}

/** Plugs a port (see HypervisorDriver.plugPort). Idempotent. */
export async function plugNic(vm: NicVm, port: InstancePort): Promise<void> {
  if (vm.plan.nics.some((n) => n.portId === port.id || n.mac === port.mac)) return;
  settleIds(vm.plan);
  const taps = vm.network ? await vm.network.plugPorts(vm.id, [port]) : undefined;
  const tap = taps?.get(port.id);
  const nic: NicPlan = {
    ...nicPlan(port),
    portId: port.id,
    qemuId: `p${port.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`,
    ...(tap ? { tap } : {}),
  };
  try {
    if (vm.live) {
      // A QEMU started outside the namespace (it had no port then) cannot open the tap: user-mode until restarted.
      const live = tap && !vm.plan.netns ? { ...nic, tap: undefined } : nic;
      const id = nic.qemuId ?? '';
      await vm.qmp(async (qmp) => {
        await qmp.execute('netdev_add', netdevAddArgs(live, id));
        try {
          await qmp.execute('device_add', { driver: 'virtio-net-pci', id: `${id}-dev`, netdev: id, mac: nic.mac });
        } catch (err) {
          await qmp.execute('netdev_del', { id }).catch(() => undefined);
          throw err;
        }
      });
    }
    vm.plan.nics = [...vm.plan.nics, nic];
    if (tap && vm.network) vm.plan.netns ??= vm.network.namespace;
    await vm.savePlan();
  } catch (err) {
    await vm.network?.unplugPort(port.id).catch(() => undefined);
    throw err;
  }
  vm.log.info({ port: port.id, tap, live: vm.live }, 'port plugged');
}

/** Unplugs a port (see HypervisorDriver.unplugPort). Unplugging a port that is not plugged succeeds. */
export async function unplugNic(vm: NicVm, portId: string, timeoutMs = 10_000): Promise<void> {
  settleIds(vm.plan);
  const nic = vm.plan.nics.find((n) => n.portId === portId);
  if (nic?.qemuId && vm.live) {
    const id = nic.qemuId;
    await vm.qmp(async (qmp) => {
      const devices = async () => {
        const list = await qmp.execute<Array<{ name: string }>>('qom-list', { path: '/machine/peripheral' });
        return new Set(list.map((p) => p.name));
      };
      if ((await devices()).has(`${id}-dev`)) {
        await qmp.execute('device_del', { id: `${id}-dev` });
        const deadline = vm.clock.now() + timeoutMs;
        while ((await devices()).has(`${id}-dev`)) {
          const left = deadline - vm.clock.now();
          if (left <= 0) {
            throw new BrumeError(
              'unavailable',
              'hypervisor.detach_timeout',
              `the guest did not release the NIC of port ${portId} within ${timeoutMs} ms; it stays plugged`,
              { retryable: true },
            );
          }
          await qmp.waitEvent('DEVICE_DELETED', Math.min(left, 500), (e) => e.data?.device === `${id}-dev`);
        }
      }
      await qmp.execute('netdev_del', { id }).catch(() => undefined);
    });
  }
  if (nic) {
    vm.plan.nics = vm.plan.nics.filter((n) => n !== nic);
    await vm.savePlan();
  }
  await vm.network?.unplugPort(portId);
  vm.log.info({ port: portId, live: vm.live }, 'port unplugged');
}
