/** Nova's vm_state / task_state / power_state vocabulary, the API status derived from it, and action guards. */
import type { PowerState } from '../../../shared/schemas/agent-protocol.ts';

/** `OS-EXT-STS:power_state` numbers. */
export const POWER: Record<PowerState, number> = {
  nostate: 0,
  running: 1,
  paused: 3,
  shutdown: 4,
  crashed: 6,
  suspended: 7,
};

const BY_VM_STATE: Record<string, string> = {
  building: 'BUILD',
  active: 'ACTIVE',
  stopped: 'SHUTOFF',
  paused: 'PAUSED',
  suspended: 'SUSPENDED',
  error: 'ERROR',
  deleted: 'DELETED',
};

/** The API `status` (Nova's common._STATE_MAP, reduced to the states Brume has). */
export function statusOf(vmState: string, taskState: string | null): string {
  if (taskState === 'rebuilding' && ['active', 'stopped', 'error'].includes(vmState)) return 'REBUILD';
  if (vmState === 'active' || vmState === 'stopped') {
    if (taskState === 'rebooting' || taskState === 'reboot_pending' || taskState === 'reboot_started') return 'REBOOT';
    if (taskState === 'rebooting_hard' || taskState === 'reboot_pending_hard' || taskState === 'reboot_started_hard') {
      return 'HARD_REBOOT';
    }
  }
  return BY_VM_STATE[vmState] ?? 'UNKNOWN';
}

/** vm_states an API status filter selects. */
export function vmStatesForStatus(status: string): string[] {
  const s = status.toUpperCase();
  if (s === 'REBOOT' || s === 'HARD_REBOOT') return ['active', 'stopped'];
  return Object.entries(BY_VM_STATE)
    .filter(([, v]) => v === s)
    .map(([k]) => k);
}

/** What an action needs and does: allowed states, the task while it runs, the agent op, the end state. */
export interface ActionSpec {
  /** Nova's action name in conflict messages (`os-stop`, `reboot`, …). */
  name: string;
  vmStates: readonly string[];
  taskStates: ReadonlyArray<string | null>;
  task: string;
  op: 'stop' | 'start' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'reboot';
  hard?: boolean;
  done: { vmState: string; power: PowerState };
}

/** Nova's check_instance_state rules for the supported actions. */
export const ACTIONS: Record<string, ActionSpec> = {
  'os-stop': {
    name: 'os-stop',
    vmStates: ['active', 'error'],
    taskStates: [null],
    task: 'powering-off',
    op: 'stop',
    done: { vmState: 'stopped', power: 'shutdown' },
  },
  'os-start': {
    name: 'os-start',
    vmStates: ['stopped'],
    taskStates: [null],
    task: 'powering-on',
    op: 'start',
    done: { vmState: 'active', power: 'running' },
  },
  reboot: {
    name: 'reboot',
    vmStates: ['active'],
    taskStates: [null],
    task: 'rebooting',
    op: 'reboot',
    done: { vmState: 'active', power: 'running' },
  },
  'reboot-hard': {
    name: 'reboot',
    vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
    taskStates: [null, 'rebooting', 'reboot_pending', 'reboot_started'],
    task: 'rebooting_hard',
    op: 'reboot',
    hard: true,
    done: { vmState: 'active', power: 'running' },
  },
  pause: {
    name: 'pause',
    vmStates: ['active'],
    taskStates: [null],
    task: 'pausing',
    op: 'pause',
    done: { vmState: 'paused', power: 'paused' },
  },
  unpause: {
    name: 'unpause',
    vmStates: ['paused'],
    taskStates: [null],
    task: 'unpausing',
    op: 'unpause',
    done: { vmState: 'active', power: 'running' },
  },
  suspend: {
    name: 'suspend',
    vmStates: ['active'],
    taskStates: [null],
    task: 'suspending',
    op: 'suspend',
    done: { vmState: 'suspended', power: 'suspended' },
  },
  resume: {
    name: 'resume',
    vmStates: ['suspended'],
    taskStates: [null],
    task: 'resuming',
    op: 'resume',
    done: { vmState: 'active', power: 'running' },
  },
};

/** The action whose in-flight task is `task`, if any (resuming after a restart). */
export function actionForTask(task: string): ActionSpec | undefined {
  return Object.values(ACTIONS).find((a) => a.task === task);
}
