import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import type { HostInventory } from '../../../shared/schemas/agent-protocol.ts';

const execFileAsync = promisify(execFile);

/** Accelerator choice: `auto` picks KVM only where stock guests can use it, else TCG. */
export type AccelMode = 'auto' | 'kvm' | 'tcg';

/** What the host offers for hardware virtualization. */
export interface HostVirt {
  /** `vmx`/`svm` present in /proc/cpuinfo. */
  cpuFlags: boolean;
  /** `/sys/module/kvm_intel` or `/sys/module/kvm_amd` exists (not e.g. `kvm_pvm`, which stock guests cannot use). */
  kvmModule: boolean;
  /** `/dev/kvm` exists. */
  devKvm: boolean;
}

/** Reads the facts {@link chooseAccel} decides on. */
export async function probeHostVirt(): Promise<HostVirt> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return {
    cpuFlags: /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo),
    kvmModule: existsSync('/sys/module/kvm_intel') || existsSync('/sys/module/kvm_amd'),
    devKvm: existsSync('/dev/kvm'),
  };
}

/** The accelerator and CPU model for `mode` on a host (pure). */
export function chooseAccel(mode: AccelMode, host: HostVirt): { accel: 'kvm' | 'tcg'; args: string[] } {
  const kvm = mode === 'kvm' || (mode === 'auto' && host.cpuFlags && host.kvmModule && host.devKvm);
  return kvm
    ? { accel: 'kvm', args: ['-accel', 'kvm', '-cpu', 'host'] }
    : { accel: 'tcg', args: ['-accel', 'tcg', '-cpu', 'max'] };
}

/** `QEMU emulator version 7.2.22 (…)` -> 7002022 (Nova's integer hypervisor_version). */
export function parseQemuVersion(output: string): { text: string; number: number } {
  const match = /version (\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) return { text: 'unknown', number: 0 };
  const [major, minor, micro] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { text: `${major}.${minor}.${micro}`, number: major * 1_000_000 + minor * 1_000 + micro };
}

/** Runs `qemu --version`. */
export async function qemuVersion(binary: string): Promise<{ text: string; number: number }> {
  const { stdout } = await execFileAsync(binary, ['--version']);
  return parseQemuVersion(stdout);
}

/** CPUs, memory and free disk of the host, as the scheduler sees them. */
export async function hostInventory(dataDir: string, qemuBinary: string, accel: string): Promise<HostInventory> {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const fs = await statfs(dataDir);
  const version = await qemuVersion(qemuBinary);
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  return {
    vcpus: availableParallelism(),
    memoryMiB: Math.floor(memKiB / 1024),
    diskGiB: Math.floor((fs.bavail * fs.bsize) / 1024 ** 3),
    hypervisorType: 'QEMU',
    hypervisorVersion: version.number,
    cpuInfo: JSON.stringify({ arch: 'x86_64', model, accel, qemu: version.text }),
  };
}
