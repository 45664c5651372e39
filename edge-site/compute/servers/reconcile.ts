/**
 * Keeps the site's records and the hosts' VMs in agreement:
 * - `instance` events update power state (a VM that stopped by itself becomes SHUTOFF);
 * - `inventory` events (an agent (re)connected): servers the agent lacks lose their power state (ERROR if they were
 *   building), VMs the site does not know — or deleted, or placed elsewhere — are destroyed;
 * - on start-up, work interrupted by a restart is resumed with the same request ids.
 * Nothing is recreated or duplicated: a server only ever lives on `row.host`.
 */
import type { InstanceInfo } from '../../../shared/schemas/agent-protocol.ts';
import type { FleetEvent, SiteDeps } from '../../services.ts';
import type { ComputeServices } from '../services.ts';
import { ownerAuth, type ServerEngine } from './engine.ts';
import { actionForTask, POWER } from './states.ts';
import type { ServerRow, ServerStore } from './store.ts';

/** Reconciliation entry points. */
export interface Reconciler {
  onEvent(event: FleetEvent): Promise<void>;
  /** Resumes or fails servers left in BUILD or a transitional task by a restart. */
  resume(): Promise<void>;
}

/** vm_state a settled server should have for an observed power state (idle servers only). */
function vmStateFor(row: ServerRow, power: number): string {
  if (row.vmState === 'error') return 'error';
  switch (power) {
    case POWER.running:
      return 'active';
    case POWER.paused:
      return 'paused';
    case POWER.suspended:
      return 'suspended';
    case POWER.shutdown:
    case POWER.crashed:
    case POWER.nostate:
      return 'stopped';
    default:
      return row.vmState;
  }
}

/** Builds the reconciler. */
export function createReconciler(
  deps: SiteDeps,
  services: ComputeServices,
  store: ServerStore,
  engine: ServerEngine,
): Reconciler {
  const log = deps.log.child({ module: 'compute', part: 'reconcile' });
  const { fleet } = services;

  const reap = async (host: string, vm: InstanceInfo) => {
    log.warn({ host, instance: vm.id }, 'destroying a VM the site does not own on this host');
    try {
      await fleet.send(
        host,
        { op: 'destroy', instanceId: vm.id },
        { requestId: `${vm.id}:reap:${host}:${vm.observedAt}` },
      );
    } catch (err) {
      log.warn({ err, host, instance: vm.id }, 'reap failed');
    }
  };

  const observe = async (row: ServerRow, power: number) => {
    await engine.exclusive(row.id, async () => {
      const cur = await store.get(row.id);
      if (!cur || cur.deletedAt || cur.taskState !== null || cur.vmState === 'building') return;
      const vmState = vmStateFor(cur, power);
      if (cur.powerState === power && cur.vmState === vmState) return;
      await store.transition(
        cur.id,
        { taskStates: [null], vmStates: [cur.vmState] },
        { powerState: power, vmState, updatedAt: deps.clock.now() },
      );
    });
  };

  const onInstance = async (host: string, vm: InstanceInfo, deleted: boolean) => {
    const row = await store.get(vm.id);
    if (!row || row.deletedAt || (row.host !== null && row.host !== host)) {
      if (!deleted && !(row && !row.deletedAt && row.vmState === 'building')) await reap(host, vm);
      return;
    }
    if (row.host === null) return;
    await observe(row, deleted ? POWER.nostate : POWER[vm.powerState]);
  };

  const onInventory = async (host: string, vms: InstanceInfo[]) => {
    const present = new Map(vms.map((v) => [v.id, v]));
    for (const row of await store.onHost(host)) {
      const vm = present.get(row.id);
      present.delete(row.id);
      if (engine.busy(row.id)) continue;
      if (vm) {
        await observe(row, POWER[vm.powerState]);
        continue;
      }
      if (row.vmState === 'building') {
        await store.update(row.id, {
          vmState: 'error',
          taskState: null,
          powerState: POWER.nostate,
          pendingRequest: null,
          fault: {
            code: 500,
            message: `Instance ${row.id} disappeared from host ${host} during its build.`,
            details: '',
            created: deps.clock.now(),
          },
          updatedAt: deps.clock.now(),
        });
      } else if (row.taskState === null) {
        await observe(row, POWER.nostate);
      }
    }
    for (const vm of present.values()) {
      const row = await store.get(vm.id);
      // A server still being built there may not be in its row yet: leave it to the build.
      if (row && !row.deletedAt && row.vmState === 'building' && engine.busy(row.id)) continue;
      await reap(host, vm);
    }
  };

  const resumeOne = async (row: ServerRow) => {
    const task = row.taskState;
    if (task === 'deleting') {
      engine.startDelete(row, `resume-${row.id}`);
      return;
    }
    if (row.vmState === 'building') {
      if (task === 'spawning' && row.host && row.pendingRequest) {
        engine.run(row.id, 'resume spawn', async () => {
          try {
            await engine.resend(row, { op: 'spawn', spec: await engine.spawnSpec(row) });
            await store.transition(
              row.id,
              { vmStates: ['building'], taskStates: ['spawning'] },
              {
                vmState: 'active',
                taskState: null,
                powerState: POWER.running,
                pendingRequest: null,
                launchedAt: deps.clock.now(),
                updatedAt: deps.clock.now(),
              },
            );
          } catch (err) {
            log.warn({ err, instance: row.id }, 'resumed spawn failed');
            await services.network.releaseForServer(row.id);
            await services.placement.release(row.id);
            await store.update(row.id, {
              vmState: 'error',
              taskState: null,
              pendingRequest: null,
              fault: {
                code: 500,
                message: `Build of instance ${row.id} failed after a restart.`,
                details: String(err),
                created: deps.clock.now(),
              },
              updatedAt: deps.clock.now(),
            });
          }
        });
        return;
      }
      // Interrupted before the spawn was sent: start over from scheduling.
      await services.network.releaseForServer(row.id);
      await services.placement.release(row.id);
      await store.update(row.id, { taskState: 'scheduling', host: null, pendingRequest: null });
      engine.startBuild([row.id], ownerAuth(row));
      return;
    }
    const spec = task ? actionForTask(task) : undefined;
    if (spec && row.host && row.pendingRequest) {
      engine.run(row.id, 'resume action', async () => {
        try {
          const cmd =
            spec.op === 'reboot'
              ? { op: 'reboot' as const, instanceId: row.id, hard: spec.hard === true }
              : { op: spec.op, instanceId: row.id };
          await engine.resend(row, cmd);
          await store.transition(
            row.id,
            { taskStates: [spec.task] },
            { vmState: spec.done.vmState, powerState: POWER[spec.done.power], taskState: null, pendingRequest: null },
          );
        } catch (err) {
          log.warn({ err, instance: row.id }, 'resumed action failed');
          await store.transition(row.id, { taskStates: [spec.task] }, { taskState: null, pendingRequest: null });
        }
      });
      return;
    }
    if (spec) {
      // The command was never sent: run the action now.
      engine.startAction(row, spec, `resume-${row.id}`);
      return;
    }
    if (task !== null) await store.update(row.id, { taskState: null, pendingRequest: null });
  };

  return {
    async onEvent(event) {
      if (event.type === 'instance') await onInstance(event.host, event.instance, event.deleted);
      else if (event.type === 'inventory') await onInventory(event.host, event.instances);
    },
    async resume() {
      for (const row of await store.all()) {
        if (row.vmState === 'building' || row.taskState !== null) await resumeOne(row);
      }
    },
  };
}
