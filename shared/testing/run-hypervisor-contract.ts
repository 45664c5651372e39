import { afterEach, describe, expect, it } from 'vitest';
import type { HypervisorDriver } from '../ports/hypervisor.ts';
import type { InstanceSpec, VolumeAttachSpec } from '../schemas/agent-protocol.ts';

/** Hooks a hypervisor driver provides to the contract suite. */
export interface HypervisorHarness {
  /** A driver over a fresh, empty host. */
  open(): Promise<HypervisorDriver>;
  /** A spec this driver can boot (image, sizes); the suite sets `id`, `name` and `hostname`. */
  spec(id: string): InstanceSpec;
  /**
   * Simulates an agent restart: closes `driver` (VMs keep running on the host) and returns a new driver over the
   * same host, before `recover()`. Omit when the driver cannot be restarted in a test.
   */
  restart?(driver: HypervisorDriver): Promise<HypervisorDriver>;
  /** Arranges for spawning the returned spec to fail (bad image, injected fault). Omit to skip that test. */
  failingSpawn?(driver: HypervisorDriver, id: string): InstanceSpec;
  /**
   * Waits until the guest of a just spawned/started VM can take part in hot-plug (a real guest must have booted
   * its OS to release an unplugged disk). Default: nothing to wait for.
   */
  guestReady?(driver: HypervisorDriver, id: string): Promise<void>;
  /** A volume file this driver can attach (format, path on its host). Omit to skip the volume tests. */
  volume?(driver: HypervisorDriver, volumeId: string): Promise<VolumeAttachSpec>;
  /** Ids of the ports the driver has plugged into VM `id` (as recorded on its host). Omit to skip the port test. */
  nics?(driver: HypervisorDriver, id: string): Promise<string[]>;
  /** Releases what `open` created (VMs, files); runs after every test. */
  cleanup?(driver: HypervisorDriver): Promise<void>;
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'resolved';
};

/** The one contract every HypervisorDriver passes: the failure semantics written in its JSDoc. */
export function runHypervisorContract(name: string, harness: HypervisorHarness): void {
  describe(`HypervisorDriver contract: ${name}`, () => {
    let open: HypervisorDriver[] = [];
    const driver = async () => {
      const d = await harness.open();
      open.push(d);
      await d.recover();
      return d;
    };
    const spawn = (d: HypervisorDriver, id: string) =>
      d.spawn({ ...harness.spec(id), id, name: `vm-${id}`, hostname: `vm-${id}` });
    const ID = '0190d7a0-0000-7000-8000-0000000000a1';
    const ID2 = '0190d7a0-0000-7000-8000-0000000000a2';

    afterEach(async () => {
      for (const d of open) {
        await harness.cleanup?.(d);
        await d.close();
      }
      open = [];
    });

    it('reports an inventory with a hypervisor type', async () => {
      const d = await driver();
      const inv = await d.inventory();
      expect(inv.vcpus).toBeGreaterThan(0);
      expect(inv.memoryMiB).toBeGreaterThan(0);
      expect(inv.diskGiB).toBeGreaterThan(0);
      expect(inv.hypervisorType).toBe(d.type);
    });

    it('spawns a running VM, lists and inspects it', async () => {
      const d = await driver();
      expect(await d.list()).toEqual([]);
      const vm = await spawn(d, ID);
      expect(vm).toMatchObject({ id: ID, powerState: 'running' });
      expect((await d.list()).map((i) => i.id)).toEqual([ID]);
      expect((await d.inspect(ID)).powerState).toBe('running');
    });

    it('spawn of an existing id returns its current info (idempotent)', async () => {
      const d = await driver();
      await spawn(d, ID);
      await d.stop(ID);
      expect((await spawn(d, ID)).powerState).toBe('shutdown');
      expect(await d.list()).toHaveLength(1);
    });

    it('a failed spawn throws and leaves nothing behind', async (ctx) => {
      if (!harness.failingSpawn) return ctx.skip();
      const d = await driver();
      const spec = harness.failingSpawn(d, ID2);
      await expect(d.spawn(spec)).rejects.toThrow();
      expect(await d.list()).toEqual([]);
      expect(await code(d.inspect(ID2))).toBe('hypervisor.instance_not_found');
    });

    it('destroy removes a VM and succeeds on a missing one', async () => {
      const d = await driver();
      await spawn(d, ID);
      await d.destroy(ID);
      expect(await d.list()).toEqual([]);
      await d.destroy(ID);
      await d.destroy(ID2);
    });

    it('stop and start are idempotent', async () => {
      const d = await driver();
      await spawn(d, ID);
      expect((await d.start(ID)).powerState).toBe('running');
      expect((await d.stop(ID)).powerState).toBe('shutdown');
      expect((await d.stop(ID)).powerState).toBe('shutdown');
      expect((await d.start(ID)).powerState).toBe('running');
    });

    it('operations on a missing VM throw hypervisor.instance_not_found', async () => {
      const d = await driver();
      for (const op of [
        d.inspect(ID),
        d.stop(ID),
        d.start(ID),
        d.reboot(ID, false),
        d.reboot(ID, true),
        d.pause(ID),
        d.unpause(ID),
        d.suspend(ID),
        d.resume(ID),
        d.consoleLog(ID),
      ]) {
        expect(await code(op)).toBe('hypervisor.instance_not_found');
      }
      await expect(d.inspect(ID)).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('operations invalid in the current state throw hypervisor.invalid_state', async () => {
      const d = await driver();
      await spawn(d, ID);
      expect(await code(d.unpause(ID))).toBe('hypervisor.invalid_state');
      expect(await code(d.resume(ID))).toBe('hypervisor.invalid_state');
      await expect(d.unpause(ID)).rejects.toMatchObject({ kind: 'conflict' });
      await d.stop(ID);
      expect(await code(d.pause(ID))).toBe('hypervisor.invalid_state');
      expect(await code(d.reboot(ID, false))).toBe('hypervisor.invalid_state');
      expect((await d.inspect(ID)).powerState).toBe('shutdown');
    });

    it('pauses and unpauses', async () => {
      const d = await driver();
      await spawn(d, ID);
      expect((await d.pause(ID)).powerState).toBe('paused');
      expect(await code(d.start(ID))).toBe('hypervisor.invalid_state');
      expect((await d.unpause(ID)).powerState).toBe('running');
    });

    it('suspends and resumes', async () => {
      const d = await driver();
      await spawn(d, ID);
      expect((await d.suspend(ID)).powerState).toBe('suspended');
      expect((await d.resume(ID)).powerState).toBe('running');
    });

    it('reboots soft and hard; a hard reboot starts a stopped VM', async () => {
      const d = await driver();
      await spawn(d, ID);
      expect((await d.reboot(ID, false)).powerState).toBe('running');
      expect((await d.reboot(ID, true)).powerState).toBe('running');
      await d.stop(ID);
      expect((await d.reboot(ID, true)).powerState).toBe('running');
    });

    it('keeps a console log and returns its last lines', async () => {
      const d = await driver();
      await spawn(d, ID);
      const all = await d.consoleLog(ID);
      expect(typeof all).toBe('string');
      const last = await d.consoleLog(ID, 1);
      expect(last.split('\n')).toHaveLength(1);
      expect(all.endsWith(last)).toBe(true);
    });

    const VOL = '0190d7a0-0000-7000-8000-0000000000b1';
    const VOL2 = '0190d7a0-0000-7000-8000-0000000000b2';

    // Real guests boot first (guestReady): slow under TCG on a loaded machine.
    it('attaches and detaches volumes idempotently', { timeout: 240_000 }, async (ctx) => {
      const volume = harness.volume;
      if (!volume) return ctx.skip();
      const d = await driver();
      await spawn(d, ID);
      await harness.guestReady?.(d, ID);
      const first = await d.attachVolume(ID, await volume(d, VOL));
      expect(first).toMatch(/^\/dev\/vd[c-z]$/);
      expect(await d.attachVolume(ID, await volume(d, VOL))).toBe(first);
      const second = await d.attachVolume(ID, await volume(d, VOL2));
      expect(second).not.toBe(first);
      await d.detachVolume(ID, VOL);
      await d.detachVolume(ID, VOL);
      // The freed name is reused (the guest reuses the lowest free index).
      expect(await d.attachVolume(ID, await volume(d, VOL))).toBe(first);
      expect(await code(d.attachVolume(ID2, await volume(d, VOL)))).toBe('hypervisor.instance_not_found');
      expect(await code(d.detachVolume(ID2, VOL))).toBe('hypervisor.instance_not_found');
      // A stopped VM takes volumes too (they appear when it starts); the running state is unchanged.
      await d.stop(ID);
      await d.detachVolume(ID, VOL2);
      expect(await d.attachVolume(ID, await volume(d, VOL2))).toBe(second);
      // Started again with the volume plugged from its record (detaching it would wait for the guest's boot).
      expect((await d.start(ID)).powerState).toBe('running');
      expect(await d.attachVolume(ID, await volume(d, VOL2))).toBe(second);
      await d.destroy(ID);
    });

    // Real guests boot first (guestReady): slow under TCG on a loaded machine.
    it('remembers attached volumes across an agent restart', { timeout: 240_000 }, async (ctx) => {
      const restart = harness.restart;
      const volume = harness.volume;
      if (!restart || !volume) return ctx.skip();
      const d = await driver();
      await spawn(d, ID);
      await harness.guestReady?.(d, ID);
      const device = await d.attachVolume(ID, await volume(d, VOL));
      const again = await restart(d);
      open = open.filter((x) => x !== d);
      open.push(again);
      await again.recover();
      expect(await again.attachVolume(ID, await volume(again, VOL))).toBe(device);
      await again.detachVolume(ID, VOL);
      expect(await again.attachVolume(ID, await volume(again, VOL2))).toBe(device);
    });

    it('plugs and unplugs ports idempotently, running or stopped, and remembers them across a restart', async (ctx) => {
      const nics = harness.nics;
      if (!nics) return ctx.skip();
      const d = await driver();
      await spawn(d, ID);
      const before = await nics(d, ID);
      await harness.guestReady?.(d, ID);
      const port = (n: number) => ({
        id: `0190d7a0-0000-7000-8000-0000000000c${n}`,
        networkId: 'net-contract',
        mac: `fa:16:3e:00:0c:0${n}`,
        ips: [`10.99.0.${10 + n}/24`],
        gateway: '10.99.0.1',
      });
      await d.plugPort(ID, port(1));
      await d.plugPort(ID, port(1));
      expect(await nics(d, ID)).toEqual([...before, port(1).id]);
      await d.unplugPort(ID, port(1).id);
      await d.unplugPort(ID, port(1).id);
      expect(await nics(d, ID)).toEqual(before);
      expect(await code(d.plugPort(ID2, port(1)))).toBe('hypervisor.instance_not_found');
      expect(await code(d.unplugPort(ID2, port(1).id))).toBe('hypervisor.instance_not_found');
      // Plugged while stopped: there after the start, and after an agent restart.
      await d.stop(ID);
      await d.plugPort(ID, port(2));
      expect((await d.start(ID)).powerState).toBe('running');
      let now = d;
      if (harness.restart) {
        now = await harness.restart(d);
        open = open.filter((x) => x !== d);
        open.push(now);
        await now.recover();
      }
      expect(await nics(now, ID)).toEqual([...before, port(2).id]);
      await now.destroy(ID);
    });

    it('recovers running VMs after an agent restart', async (ctx) => {
      const restart = harness.restart;
      if (!restart) return ctx.skip();
      const d = await driver();
      await spawn(d, ID);
      await spawn(d, ID2);
      await d.stop(ID2);
      const again = await restart(d);
      open = open.filter((x) => x !== d);
      open.push(again);
      const recovered = await again.recover();
      expect(recovered.map((i) => [i.id, i.powerState]).sort()).toEqual([
        [ID, 'running'],
        [ID2, 'shutdown'],
      ]);
      expect((await again.list()).map((i) => i.id).sort()).toEqual([ID, ID2]);
      expect((await again.start(ID2)).powerState).toBe('running');
      await again.destroy(ID);
      expect((await again.list()).map((i) => i.id)).toEqual([ID2]);
    });
  });
}
