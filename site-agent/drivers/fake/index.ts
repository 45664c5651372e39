import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BrumeError, conflict, notFound } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { HypervisorDriver } from '../../../shared/ports/hypervisor.ts';
import type { HostInventory, InstanceInfo, InstanceSpec, PowerState } from '../../../shared/schemas/agent-protocol.ts';
import { memoryVolumeStorage } from '../../volumes/memory-storage.ts';
import { nextVolumeDevice, volumeSerial } from '../volume-devices.ts';
import { bootLog } from './console-log.ts';
import { mulberry32 } from './prng.ts';

/** Operations a test can make fail once with {@link FakeDriver.failNext}. */
export type FakeOp = 'spawn' | 'stop' | 'start' | 'reboot' | 'pause' | 'unpause' | 'suspend' | 'resume' | 'destroy';

/** Options of the fake driver. Delays run on `clock`, so a manual clock (or 0) keeps tests instant. */
export interface FakeDriverOptions {
  clock: Clock;
  inventory?: Partial<HostInventory>;
  /** CPU architecture reported in cpuInfo (ImagePropertiesFilter). Default x86_64. */
  architecture?: string;
  spawnDelayMs?: number;
  actionDelayMs?: number;
  /** Fraction (0..1) of spawns that fail, drawn from `random`. */
  spawnFailureRate?: number;
  /** Source of randomness for failure injection; default a PRNG seeded with `seed`. */
  random?: () => number;
  seed?: number;
  /** JSON file holding the fake host's VMs, so a restarted agent "reattaches" to them in `recover()`. */
  stateFile?: string;
}

/** The fake driver plus its test controls. */
export interface FakeDriver extends HypervisorDriver {
  /** The next call of `op` fails (a failing spawn leaves nothing behind). */
  failNext(op: FakeOp, error?: BrumeError): void;
  /** Every spawn of instance `id` fails. */
  failSpawnOf(id: string): void;
  /** The VM stops by itself (guest crash or power-off); the agent sees it at its next poll. */
  crash(id: string, state?: 'crashed' | 'shutdown'): void;
  /** Ids of the ports plugged into VM `id` (throws when it is missing). */
  portsOf(id: string): string[];
  /** How many times each operation was executed (not counting idempotent no-ops' callers separately). */
  readonly calls: Readonly<Record<string, number>>;
}

interface FakeVm {
  spec: Pick<InstanceSpec, 'id' | 'name' | 'hostname' | 'ports' | 'vcpus' | 'memoryMiB' | 'diskGiB'>;
  powerState: PowerState;
  log: string[];
  boots: number;
  /** Attached volumes by id (absent in state files written before volumes existed). */
  volumes?: Record<string, { device: string; serial: string; path: string }>;
}

const missing = (id: string) => notFound('hypervisor.instance_not_found', `Instance ${id} could not be found.`);
const invalid = (id: string, op: string, state: PowerState) =>
  conflict('hypervisor.invalid_state', `Cannot ${op} instance ${id} while it is ${state}.`);

/** An in-memory hypervisor: instant or delayed, with failure injection and optional JSON persistence. */
export function createFakeDriver(options: FakeDriverOptions): FakeDriver {
  const { clock } = options;
  const random = options.random ?? mulberry32(options.seed ?? 1);
  const vms = new Map<string, FakeVm>();
  const spawning = new Map<string, Promise<InstanceInfo>>();
  const failures = new Map<FakeOp, BrumeError>();
  const failingIds = new Set<string>();
  const calls: Record<string, number> = {};
  const inventory: HostInventory = {
    vcpus: 8,
    memoryMiB: 16384,
    diskGiB: 200,
    hypervisorType: 'fake',
    hypervisorVersion: 1000,
    cpuInfo: JSON.stringify({ arch: options.architecture ?? 'x86_64', model: 'fake', vendor: 'Brume' }),
    ...options.inventory,
  };

  const info = (id: string, vm: FakeVm): InstanceInfo => ({ id, powerState: vm.powerState, observedAt: clock.now() });
  const delay = async (ms: number | undefined) => {
    if (ms && ms > 0) await clock.sleep(ms);
  };
  const persist = () => {
    const file = options.stateFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ v: 1, vms: [...vms.values()] }));
    renameSync(tmp, file);
  };
  const injected = (op: FakeOp) => {
    calls[op] = (calls[op] ?? 0) + 1;
    const err = failures.get(op);
    if (err) {
      failures.delete(op);
      throw err;
    }
  };
  const get = (id: string): FakeVm => {
    const vm = vms.get(id);
    if (!vm) throw missing(id);
    return vm;
  };
  /** A state transition: `from` lists the states it applies to; `to` is the result; `noop` states succeed as is. */
  const transition = async (op: FakeOp, id: string, from: PowerState[], to: PowerState, noop: PowerState[] = []) => {
    const vm = get(id);
    if (noop.includes(vm.powerState)) return info(id, vm);
    if (!from.includes(vm.powerState)) throw invalid(id, op, vm.powerState);
    await delay(options.actionDelayMs);
    injected(op);
    const now = get(id);
    now.powerState = to;
    persist();
    return info(id, now);
  };
  const boot = (vm: FakeVm) => {
    vm.boots += 1;
    vm.log.push(...bootLog(vm.spec, vm.boots));
    vm.powerState = 'running';
  };

  const doSpawn = async (spec: InstanceSpec): Promise<InstanceInfo> => {
    await delay(options.spawnDelayMs);
    injected('spawn');
    if (failingIds.has(spec.id)) {
      throw new BrumeError('internal', 'hypervisor.spawn_failed', `Fake spawn of ${spec.id} failed (injected).`);
    }
    if ((options.spawnFailureRate ?? 0) > 0 && random() < (options.spawnFailureRate ?? 0)) {
      throw new BrumeError('internal', 'hypervisor.spawn_failed', `Fake spawn of ${spec.id} failed (failure rate).`, {
        retryable: true,
      });
    }
    const { id, name, hostname, ports, vcpus, memoryMiB, diskGiB } = spec;
    const vm: FakeVm = {
      spec: { id, name, hostname, ports, vcpus, memoryMiB, diskGiB },
      powerState: 'nostate',
      log: [],
      boots: 0,
    };
    for (const v of spec.volumes ?? []) {
      vm.volumes ??= {};
      const device = nextVolumeDevice(Object.values(vm.volumes).map((x) => x.device));
      vm.volumes[v.volumeId] = { device, serial: volumeSerial(v), path: v.path };
    }
    boot(vm);
    vms.set(id, vm);
    persist();
    return info(id, vm);
  };

  return {
    type: 'fake',
    calls,
    // Volumes in memory, behind the same commands as a qemu host's files.
    volumeStorage: memoryVolumeStorage({
      totalGiB: inventory.diskGiB,
      ...(options.stateFile ? { stateFile: options.stateFile.replace(/(\.json)?$/, '-volumes.json') } : {}),
    }),
    async inventory() {
      return { ...inventory };
    },
    async list() {
      return [...vms].map(([id, vm]) => info(id, vm));
    },
    async recover() {
      const file = options.stateFile;
      if (file && existsSync(file)) {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as { vms: FakeVm[] };
        for (const vm of saved.vms) if (!vms.has(vm.spec.id)) vms.set(vm.spec.id, vm);
      }
      return [...vms].map(([id, vm]) => info(id, vm));
    },
    async spawn(spec) {
      const existing = vms.get(spec.id);
      if (existing) return info(spec.id, existing);
      const pending = spawning.get(spec.id);
      if (pending) return pending;
      const p = doSpawn(spec).finally(() => spawning.delete(spec.id));
      spawning.set(spec.id, p);
      return p;
    },
    async inspect(id) {
      return info(id, get(id));
    },
    stop: (id) => transition('stop', id, ['running', 'paused', 'suspended', 'crashed'], 'shutdown', ['shutdown']),
    async start(id) {
      const vm = get(id);
      if (vm.powerState === 'running') return info(id, vm);
      if (vm.powerState !== 'shutdown' && vm.powerState !== 'crashed') throw invalid(id, 'start', vm.powerState);
      await delay(options.actionDelayMs);
      injected('start');
      boot(get(id));
      persist();
      return info(id, get(id));
    },
    async reboot(id, hard) {
      const vm = get(id);
      const allowed: PowerState[] = hard ? ['running', 'paused', 'shutdown', 'crashed', 'suspended'] : ['running'];
      if (!allowed.includes(vm.powerState)) throw invalid(id, hard ? 'hard reboot' : 'reboot', vm.powerState);
      await delay(options.actionDelayMs);
      injected('reboot');
      const now = get(id);
      now.log.push(hard ? '[    0.000000] reset: hard reset requested' : 'reboot: Restarting system');
      boot(now);
      persist();
      return info(id, now);
    },
    pause: (id) => transition('pause', id, ['running'], 'paused', ['paused']),
    unpause: (id) => transition('unpause', id, ['paused'], 'running'),
    suspend: (id) => transition('suspend', id, ['running', 'paused'], 'suspended', ['suspended']),
    resume: (id) => transition('resume', id, ['suspended'], 'running'),
    async destroy(id) {
      if (!vms.has(id)) return;
      await delay(options.actionDelayMs);
      injected('destroy');
      vms.delete(id);
      persist();
    },
    async attachVolume(id, volume) {
      const vm = get(id);
      vm.volumes ??= {};
      const known = vm.volumes[volume.volumeId];
      if (known) return known.device;
      await delay(options.actionDelayMs);
      const device = nextVolumeDevice(Object.values(vm.volumes).map((v) => v.device));
      const serial = volumeSerial(volume);
      vm.volumes[volume.volumeId] = { device, serial, path: volume.path };
      if (vm.powerState === 'running') vm.log.push(`BRUME-DISK-ATTACHED ${device.slice(5)} serial=${serial}`);
      persist();
      return device;
    },
    async detachVolume(id, volumeId) {
      const vm = get(id);
      const known = vm.volumes?.[volumeId];
      if (!known || !vm.volumes) return;
      await delay(options.actionDelayMs);
      delete vm.volumes[volumeId];
      if (vm.powerState === 'running') vm.log.push(`BRUME-DISK-DETACHED ${known.device.slice(5)}`);
      persist();
    },
    async plugPort(id, port) {
      const vm = get(id);
      if (vm.spec.ports.some((p) => p.id === port.id || p.mac === port.mac)) return;
      await delay(options.actionDelayMs);
      vm.spec = { ...vm.spec, ports: [...vm.spec.ports, port] };
      persist();
    },
    async unplugPort(id, portId) {
      const vm = get(id);
      if (!vm.spec.ports.some((p) => p.id === portId)) return;
      await delay(options.actionDelayMs);
      vm.spec = { ...vm.spec, ports: vm.spec.ports.filter((p) => p.id !== portId) };
      persist();
    },
    portsOf(id) {
      return get(id).spec.ports.map((p) => p.id);
    },
    async consoleLog(id, lines) {
      const log = get(id).log;
      return (lines === undefined ? log : log.slice(-lines)).join('\n');
    },
    async close() {},
    failNext(op, error) {
      failures.set(op, error ?? new BrumeError('internal', `hypervisor.${op}_failed`, `Fake ${op} failed (injected).`));
    },
    failSpawnOf(id) {
      failingIds.add(id);
    },
    crash(id, state = 'crashed') {
      const vm = get(id);
      vm.powerState = state;
      vm.log.push(state === 'crashed' ? 'Kernel panic - not syncing: Fatal exception' : 'reboot: Power down');
      persist();
    },
  };
}
