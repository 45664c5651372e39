import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrumeError, conflict, isBrumeError, notFound } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { HypervisorDriver } from '../../../shared/ports/hypervisor.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import type { InstanceInfo, InstanceSpec, PowerState } from '../../../shared/schemas/agent-protocol.ts';
import type { NetworkDataPlane } from '../../network/data-plane.ts';
import { type DirectBoot, instanceFiles, type LaunchPlan, nicPlan, qemuArgs } from './command-line.ts';
import { buildConfigDrive } from './config-drive.ts';
import { type AccelMode, chooseAccel, hostInventory, probeHostVirt } from './host.ts';
import type { ImageCache } from './image-cache.ts';
import { inNetns } from './nic.ts';
import { type NicVm, plugNic, unplugNic } from './nic-hotplug.ts';
import { isOurProcess, readPid, run, signal } from './process.ts';
import { QmpClient } from './qmp.ts';
import {
  attachVolume,
  detachVolume,
  recordSpawnVolumes,
  rootVolumeDisk,
  type VolumeVm,
  volumeLaunchArgs,
} from './volumes.ts';

/** Options of {@link createQemuDriver}. */
export interface QemuDriverOptions {
  /** VMs live in `<dataDir>/instances/<id>/`. */
  dataDir: string;
  clock: Clock;
  log: Logger;
  imageCache: ImageCache;
  /** Default `qemu-system-x86_64`. */
  qemuBinary?: string;
  /** Default `qemu-img`. */
  qemuImgBinary?: string;
  /** Default `auto`: KVM only with vmx/svm and kvm_intel/kvm_amd loaded, else TCG. */
  accel?: AccelMode;
  /** Kernel (+initrd) booted directly for specs without an image; without it such specs are refused. */
  directBoot?: DirectBoot;
  /** QEMU `-name` prefix (`<prefix>-<id>`), so an operator or a test can tell its VMs apart. Default `brume`. */
  namePrefix?: string;
  /** How long `stop` waits for the guest to honour the ACPI power button before quitting QEMU. Default 30 s. */
  stopTimeoutMs?: number;
  /** Guests get at least this much RAM whatever the flavor says (a Linux guest needs ~80 MiB). Default 96. */
  minMemoryMiB?: number;
  /**
   * The host's network data plane (site-agent/network): ports become taps on per-network bridges in its namespace
   * and QEMU runs there. Without it (not root, no `ip netns`), NICs are user-mode and reach nothing.
   */
  network?: NetworkDataPlane;
}

const backingFormats: Record<string, string> = {
  raw: 'raw',
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vdi: 'vdi',
  vhd: 'vpc',
  vhdx: 'vhdx',
};
const qmpPowerStates: Record<string, PowerState> = {
  running: 'running',
  paused: 'paused',
  suspended: 'suspended',
  shutdown: 'shutdown',
  'guest-panicked': 'crashed',
  'internal-error': 'crashed',
  'io-error': 'paused',
  postmigrate: 'paused',
  'save-vm': 'paused',
  'restore-vm': 'paused',
  prelaunch: 'nostate',
  inmigrate: 'nostate',
  debug: 'paused',
  watchdog: 'crashed',
};

const missing = (id: string) => notFound('hypervisor.instance_not_found', `no VM ${id} on this host`);
const invalidState = (id: string, op: string, state: PowerState) =>
  conflict('hypervisor.invalid_state', `cannot ${op} VM ${id} while it is ${state}`);

/** A {@link HypervisorDriver} running each VM as a daemonized QEMU process driven over QMP (see README.md). */
export function createQemuDriver(options: QemuDriverOptions): HypervisorDriver {
  const { clock, log } = options;
  const qemu = options.qemuBinary ?? 'qemu-system-x86_64';
  const qemuImg = options.qemuImgBinary ?? 'qemu-img';
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const instancesDir = join(options.dataDir, 'instances');
  const plans = new Map<string, LaunchPlan>();
  const locks = new Map<string, Promise<unknown>>();
  let accel: Promise<ReturnType<typeof chooseAccel>> | undefined;
  const accelerator = () => {
    accel ??= probeHostVirt().then((host) => {
      const choice = chooseAccel(options.accel ?? 'auto', host);
      log.info({ accel: choice.accel, ...host }, 'qemu accelerator chosen');
      return choice;
    });
    return accel;
  };

  /** Runs operations on one VM one at a time (a QMP socket serves one client at a time anyway). */
  function serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    locks.set(id, settled);
    void settled.then(() => {
      if (locks.get(id) === settled) locks.delete(id);
    });
    return next;
  }

  const dirOf = (id: string) => join(instancesDir, id);
  const info = (id: string, powerState: PowerState): InstanceInfo => ({ id, powerState, observedAt: clock.now() });

  async function loadPlan(id: string): Promise<LaunchPlan | undefined> {
    const known = plans.get(id);
    if (known) return known;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
    const text = await readFile(instanceFiles(dirOf(id)).plan, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const plan = JSON.parse(text) as LaunchPlan;
    plans.set(id, plan);
    return plan;
  }

  async function planOf(id: string): Promise<LaunchPlan> {
    const plan = await loadPlan(id);
    if (!plan) throw missing(id);
    return plan;
  }

  async function livePid(plan: LaunchPlan): Promise<number | null> {
    const pid = await readPid(instanceFiles(plan.dir).pid);
    return pid !== null && (await isOurProcess(pid, plan.dir)) ? pid : null;
  }

  async function withQmp<T>(plan: LaunchPlan, fn: (qmp: QmpClient) => Promise<T>): Promise<T> {
    const qmp = await QmpClient.connect(instanceFiles(plan.dir).qmp);
    try {
      return await fn(qmp);
    } finally {
      qmp.close();
    }
  }

  async function observe(plan: LaunchPlan): Promise<PowerState> {
    if ((await livePid(plan)) === null) return 'shutdown';
    try {
      const status = await withQmp(plan, (qmp) => qmp.execute<{ status: string }>('query-status'));
      const state = qmpPowerStates[status.status] ?? 'nostate';
      if (
        state === 'paused' &&
        (await readFile(instanceFiles(plan.dir).state).then(
          () => true,
          () => false,
        ))
      ) {
        return 'suspended';
      }
      return state;
    } catch (err) {
      log.warn({ instance: plan.name, err: (err as Error).message }, 'QMP query-status failed');
      return (await livePid(plan)) === null ? 'shutdown' : 'nostate';
    }
  }

  async function waitExit(plan: LaunchPlan, timeoutMs: number): Promise<boolean> {
    const deadline = clock.now() + timeoutMs;
    while ((await livePid(plan)) !== null) {
      if (clock.now() >= deadline) return false;
      await clock.sleep(50);
    }
    return true;
  }

  /** ACPI power button (when `graceful`), then QMP `quit`, then SIGKILL. */
  async function powerOff(plan: LaunchPlan, graceful: boolean): Promise<void> {
    const pid = await livePid(plan);
    if (pid !== null) {
      let exited = false;
      if (graceful) {
        exited = await withQmp(plan, async (qmp) => {
          await qmp.execute('system_powerdown');
          return waitExit(plan, stopTimeoutMs);
        }).catch(() => false);
        if (!exited) log.warn({ instance: plan.name }, 'guest ignored the ACPI power button; quitting QEMU');
      }
      if (!exited) {
        await withQmp(plan, (qmp) => qmp.execute('quit')).catch(() => undefined);
        exited = await waitExit(plan, 3_000);
      }
      if (!exited) {
        signal(pid, 'SIGKILL');
        await waitExit(plan, 3_000);
      }
    }
    await rm(instanceFiles(plan.dir).state, { force: true });
  }

  async function launch(plan: LaunchPlan): Promise<void> {
    const files = instanceFiles(plan.dir);
    await Promise.all([files.pid, files.qmp, files.state].map((f) => rm(f, { force: true })));
    await run(...inNetns(plan.netns, qemu, [...qemuArgs(plan), ...(await volumeLaunchArgs(plan.dir))]));
    log.info({ instance: plan.name }, 'qemu started');
  }

  async function createRootDisk(
    spec: InstanceSpec,
    dir: string,
  ): Promise<Pick<LaunchPlan, 'rootDisk' | 'cdrom'> & Partial<Pick<LaunchPlan, 'rootFormat'>>> {
    if (spec.rootVolume) return rootVolumeDisk(spec.rootVolume, instanceFiles(dir).root, spec.diskGiB, qemuImg);
    const rootDisk = instanceFiles(dir).root;
    const wanted = Math.max(spec.diskGiB, 1) * 1024 ** 3;
    if (!spec.image) {
      if (!options.directBoot) {
        throw new BrumeError('bad_request', 'hypervisor.invalid_spec', `VM ${spec.id} has no image to boot`);
      }
      await run(qemuImg, ['create', '-q', '-f', 'qcow2', rootDisk, String(wanted)]);
      return { rootDisk };
    }
    const base = await options.imageCache.fetch(spec.image);
    const format = (spec.image.diskFormat ?? 'raw').toLowerCase();
    if (format === 'iso') {
      await run(qemuImg, ['create', '-q', '-f', 'qcow2', rootDisk, String(wanted)]);
      return { rootDisk, cdrom: base };
    }
    const backing = backingFormats[format];
    if (!backing) {
      throw new BrumeError('bad_request', 'hypervisor.unsupported_image', `disk_format ${format} cannot be booted`);
    }
    const baseInfo = JSON.parse(await run(qemuImg, ['info', '--output=json', '-f', backing, base])) as {
      'virtual-size': number;
    };
    const size = wanted > baseInfo['virtual-size'] ? [String(wanted)] : [];
    await run(qemuImg, ['create', '-q', '-f', 'qcow2', '-b', base, '-F', backing, rootDisk, ...size]);
    return { rootDisk };
  }

  async function spawnNew(spec: InstanceSpec): Promise<InstanceInfo> {
    const dir = dirOf(spec.id);
    const files = instanceFiles(dir);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      const taps = spec.ports.length > 0 ? await options.network?.plugPorts(spec.id, spec.ports) : undefined;
      const disks = await createRootDisk(spec, dir);
      await recordSpawnVolumes(dir, spec.volumes ?? []);
      await buildConfigDrive(spec, join(dir, 'config-drive'), files.configDrive);
      const plan: LaunchPlan = {
        name: `${options.namePrefix ?? 'brume'}-${spec.id}`,
        dir,
        accelArgs: (await accelerator()).args,
        memoryMiB: Math.max(spec.memoryMiB, options.minMemoryMiB ?? 96),
        vcpus: Math.max(1, spec.vcpus),
        rootFormat: 'qcow2',
        ...disks,
        configDrive: files.configDrive,
        ...(spec.image || spec.rootVolume ? {} : { directBoot: options.directBoot }),
        nics: spec.ports.map((port, i) => ({
          ...nicPlan(port),
          portId: port.id,
          qemuId: `net${i}`,
          ...(taps ? { tap: taps.get(port.id) } : {}),
        })),
        ...(options.network && spec.ports.length > 0 ? { netns: options.network.namespace } : {}),
      };
      await launch(plan);
      await writeFile(`${files.plan}.tmp`, JSON.stringify(plan, null, 2));
      await rename(`${files.plan}.tmp`, files.plan);
      plans.set(spec.id, plan);
      return info(spec.id, 'running');
    } catch (err) {
      const pid = await readPid(files.pid);
      if (pid !== null && (await isOurProcess(pid, dir))) signal(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
      await options.network?.releaseInstance(spec.id).catch(() => undefined);
      log.error({ instance: spec.id, err: (err as Error).message }, 'spawn failed');
      if (isBrumeError(err)) throw err;
      throw new BrumeError(
        'internal',
        'hypervisor.spawn_failed',
        `spawn of ${spec.id} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Looks the VM up, observes it and runs `fn` with its state, one operation per VM at a time. */
  const withVm = <T>(id: string, fn: (plan: LaunchPlan, state: PowerState) => Promise<T>) =>
    serialized(id, async () => {
      const plan = await planOf(id);
      return fn(plan, await observe(plan));
    });

  const volumeVm = (plan: LaunchPlan, state: PowerState): VolumeVm => ({
    dir: plan.dir,
    live: state !== 'shutdown',
    qmp: (fn) => withQmp(plan, fn),
    clock,
    log: log.child({ instance: plan.name }),
  });

  const nicVm = (id: string, plan: LaunchPlan, state: PowerState): NicVm => ({
    id,
    plan,
    live: state !== 'shutdown',
    qmp: (fn) => withQmp(plan, fn),
    savePlan: async () => {
      const file = instanceFiles(plan.dir).plan;
      await writeFile(`${file}.tmp`, JSON.stringify(plan, null, 2));
      await rename(`${file}.tmp`, file);
    },
    ...(options.network ? { network: options.network } : {}),
    clock,
    log: log.child({ instance: plan.name }),
  });

  /** Every known VM; one destroyed while listing is left out rather than failing the list. */
  const list = async () => {
    const all = await Promise.all(
      [...plans.keys()].map((id) =>
        withVm(id, async (_plan, state) => info(id, state)).catch((err: unknown) => {
          if (isBrumeError(err) && err.code === 'hypervisor.instance_not_found') return undefined;
          throw err;
        }),
      ),
    );
    return all.filter((vm): vm is InstanceInfo => vm !== undefined);
  };

  return {
    // Nova's hypervisor_type for libvirt/QEMU hosts; the contract wants inventory().hypervisorType === type.
    type: 'QEMU',

    async inventory() {
      await mkdir(options.dataDir, { recursive: true });
      const inventory = await hostInventory(options.dataDir, qemu, (await accelerator()).accel);
      return options.network ? { ...inventory, networkDataPlane: true } : inventory;
    },

    list,

    async recover() {
      // Taps, bridges, DHCP and rules of the VMs that kept running while the agent was away.
      await options.network
        ?.recover()
        .catch((err: unknown) => log.error({ err }, 'network data plane recovery failed'));
      const entries = await readdir(instancesDir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        const id = entry.name;
        const plan = await loadPlan(id).catch(() => undefined);
        if (plan) continue;
        // A folder without instance.json is a spawn the agent died in the middle of: finish its cleanup.
        const dir = dirOf(id);
        const pid = await readPid(instanceFiles(dir).pid);
        if (pid !== null && (await isOurProcess(pid, dir))) signal(pid, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
        log.warn({ instance: id }, 'removed the remains of an unfinished spawn');
      }
      return list();
    },

    spawn(spec) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(spec.id)) {
        return Promise.reject(new BrumeError('bad_request', 'hypervisor.invalid_spec', `invalid VM id ${spec.id}`));
      }
      return serialized(spec.id, async () => {
        const plan = await loadPlan(spec.id);
        return plan ? info(spec.id, await observe(plan)) : spawnNew(spec);
      });
    },

    inspect: (id) => withVm(id, async (_plan, state) => info(id, state)),

    stop: (id) =>
      withVm(id, async (plan, state) => {
        if (state !== 'shutdown') await powerOff(plan, state === 'running');
        return info(id, 'shutdown');
      }),

    start: (id) =>
      withVm(id, async (plan, state) => {
        if (state === 'running') return info(id, 'running');
        if (state === 'paused' || state === 'suspended') throw invalidState(id, 'start', state);
        if (state !== 'shutdown') await powerOff(plan, false);
        await launch(plan);
        return info(id, 'running');
      }),

    reboot: (id, hard) =>
      withVm(id, async (plan, state) => {
        if (!hard) {
          if (state !== 'running') throw invalidState(id, 'soft-reboot', state);
          await powerOff(plan, true);
          await launch(plan);
        } else if (state === 'running' || state === 'paused' || state === 'suspended') {
          await withQmp(plan, async (qmp) => {
            await qmp.execute('system_reset');
            if (state !== 'running') await qmp.execute('cont');
          });
          await rm(instanceFiles(plan.dir).state, { force: true });
        } else {
          await powerOff(plan, false);
          await launch(plan);
        }
        return info(id, 'running');
      }),

    pause: (id) =>
      withVm(id, async (plan, state) => {
        if (state !== 'running') throw invalidState(id, 'pause', state);
        await withQmp(plan, (qmp) => qmp.execute('stop'));
        return info(id, 'paused');
      }),

    unpause: (id) =>
      withVm(id, async (plan, state) => {
        if (state !== 'paused') throw invalidState(id, 'unpause', state);
        await withQmp(plan, (qmp) => qmp.execute('cont'));
        return info(id, 'running');
      }),

    suspend: (id) =>
      withVm(id, async (plan, state) => {
        if (state !== 'running') throw invalidState(id, 'suspend', state);
        await writeFile(instanceFiles(plan.dir).state, 'suspended\n');
        await withQmp(plan, (qmp) => qmp.execute('stop'));
        return info(id, 'suspended');
      }),

    resume: (id) =>
      withVm(id, async (plan, state) => {
        if (state !== 'suspended') throw invalidState(id, 'resume', state);
        await withQmp(plan, (qmp) => qmp.execute('cont'));
        await rm(instanceFiles(plan.dir).state, { force: true });
        return info(id, 'running');
      }),

    destroy: (id) =>
      serialized(id, async () => {
        const plan = await loadPlan(id);
        if (!plan) return options.network?.releaseInstance(id);
        await powerOff(plan, false);
        await rm(plan.dir, { recursive: true, force: true });
        plans.delete(id);
        await options.network?.releaseInstance(id);
        log.info({ instance: plan.name }, 'destroyed');
      }),

    attachVolume: (id, volume) => withVm(id, (plan, state) => attachVolume(volumeVm(plan, state), volume)),

    detachVolume: (id, volumeId, opts) =>
      withVm(id, (plan, state) => detachVolume(volumeVm(plan, state), volumeId, opts?.timeoutMs ?? 30_000)),

    consoleLog: (id, lines) =>
      serialized(id, async () => {
        const plan = await planOf(id);
        const raw = await readFile(instanceFiles(plan.dir).console, 'utf8').catch(() => '');
        // Lines joined by \n, no trailing newline (as the fake driver returns them); the tty's \r\n normalized.
        const all = raw.replaceAll('\r\n', '\n').replace(/\n$/, '').split('\n');
        if (lines === undefined) return all.join('\n');
        return lines > 0 ? all.slice(-lines).join('\n') : '';
      }),

    plugPort: (id, port) => withVm(id, (plan, state) => plugNic(nicVm(id, plan, state), port)),

    unplugPort: (id, portId) => withVm(id, (plan, state) => unplugNic(nicVm(id, plan, state), portId)),

    applyNetworkPolicy: async (policy) => {
      await options.network?.applyPolicy(policy);
    },

    async close() {
      await Promise.all([...locks.values()]);
    },
  };
}
