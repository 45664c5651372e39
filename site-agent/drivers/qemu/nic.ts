/**
 * QEMU's NICs: a tap of the host's network data plane (site-agent/network) when there is one, QEMU then running
 * inside the data plane's namespace (it opens the persistent tap by name: Node cannot pass tap fds); otherwise a
 * restricted user-mode (slirp) network shaped like the port's subnet, which only reaches the guest itself.
 */
import type { NicPlan } from './command-line.ts';

/** `-netdev` and `-device` arguments of NIC number `i`. */
export function nicArgs(nic: NicPlan, i: number): string[] {
  const id = nic.qemuId ?? `net${i}`;
  const netdev = nic.tap
    ? `tap,id=${id},ifname=${nic.tap},script=no,downscript=no`
    : `user,id=${id},restrict=on${nic.net ? `,net=${nic.net}${nic.host ? `,host=${nic.host}` : ''}` : ''}`;
  return ['-netdev', netdev, '-device', `virtio-net-pci,netdev=${id},mac=${nic.mac},id=${id}-dev`];
}

/** QMP `netdev_add` arguments of a NIC (hot-plug). */
export function netdevAddArgs(nic: NicPlan, id: string): Record<string, unknown> {
  if (nic.tap) return { type: 'tap', id, ifname: nic.tap, script: 'no', downscript: 'no' };
  return {
    type: 'user',
    id,
    restrict: true,
    ...(nic.net ? { net: nic.net } : {}),
    ...(nic.host ? { host: nic.host } : {}),
  };
}

/** The command that runs `binary args` inside `netns` (as is without one). QEMU daemonizes and stays there. */
export function inNetns(netns: string | undefined, binary: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, binary, ...args]] : [binary, args];
}
