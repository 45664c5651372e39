/**
 * QEMU's NICs: a tap of the host's network data plane (site-agent/network) when there is one, QEMU then running
 * inside the data plane's namespace (it opens the persistent tap by name: Node cannot pass tap fds); otherwise a
 * restricted user-mode (slirp) network shaped like the port's subnet, which only reaches the guest itself.
 */
import type { NicPlan } from './command-line.ts';

/** `-netdev` and `-device` arguments of NIC number `i`. */
export function nicArgs(nic: NicPlan, i: number): string[] {
  const netdev = nic.tap
    ? `tap,id=net${i},ifname=${nic.tap},script=no,downscript=no`
    : `user,id=net${i},restrict=on${nic.net ? `,net=${nic.net}${nic.host ? `,host=${nic.host}` : ''}` : ''}`;
  return ['-netdev', netdev, '-device', `virtio-net-pci,netdev=net${i},mac=${nic.mac}`];
}

/** The command that runs `binary args` inside `netns` (as is without one). QEMU daemonizes and stays there. */
export function inNetns(netns: string | undefined, binary: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, binary, ...args]] : [binary, args];
}
