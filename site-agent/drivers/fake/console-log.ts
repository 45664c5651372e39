import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';

const stamp = (s: number): string => `[${s.toFixed(6).padStart(12, ' ')}]`;

/** A plausible serial-console boot log for a fake VM, naming the instance (what `console log show` prints). */
export function bootLog(spec: Pick<InstanceSpec, 'id' | 'name' | 'hostname' | 'ports'>, boot: number): string[] {
  const ips = spec.ports.flatMap((p) => p.ips);
  return [
    `${stamp(0)} Linux version 6.1.0-brume-fake (builder@brume) #1 SMP PREEMPT_DYNAMIC`,
    `${stamp(0)} Command line: BOOT_IMAGE=/vmlinuz root=LABEL=cloudimg-rootfs ro console=ttyS0`,
    `${stamp(0.004)} DMI: Brume Fake Hypervisor, BIOS 1.16.3 (instance ${spec.id})`,
    `${stamp(0.512)} virtio_blk virtio1: [vda] 2097152 512-byte logical blocks`,
    `${stamp(1.203)} EXT4-fs (vda1): mounted filesystem with ordered data mode`,
    `[  OK  ] Started cloud-init.service - Initial cloud-init job (boot ${boot}).`,
    `cloud-init[412]: Cloud-init v. 24.1 running 'init' for instance ${spec.name} (${spec.id})`,
    ...ips.map((ip) => `cloud-init[412]: ci-info: | eth0 | True | ${ip} |`),
    `[  OK  ] Reached target multi-user.target - Multi-User System.`,
    '',
    `Brume fake guest ${spec.name} ttyS0`,
    '',
    `${spec.hostname} login: `,
  ];
}
