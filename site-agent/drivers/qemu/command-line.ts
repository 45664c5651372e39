import { join } from 'node:path';
import type { InstancePort } from '../../../shared/schemas/agent-protocol.ts';
import { nicArgs } from './nic.ts';

/** Direct kernel boot (Nova's `kernel_id`/`ramdisk_id`): QEMU loads the kernel itself, no bootloader. */
export interface DirectBoot {
  kernel: string;
  initrd?: string;
  cmdline?: string;
}

/** One NIC: for now a restricted user-mode (slirp) network shaped like the port's subnet (see README). */
export interface NicPlan {
  mac: string;
  /** `10.0.0.0/24` and the gateway address slirp answers as; absent when the port has no usable IPv4 subnet. */
  net?: string;
  host?: string;
  /** The data plane's tap (site-agent/network): the NIC is a real one on the network's bridge (nic.ts). */
  tap?: string;
  /** The Neutron port (absent in plans written before ports could be hot-plugged). */
  portId?: string;
  /** QEMU id of the netdev (device: `<id>-dev`); stable across plug/unplug. Default `net<index>`. */
  qemuId?: string;
}

/** Everything needed to (re)launch one VM; stored as instance.json so `start` and `recover` need no spec. */
export interface LaunchPlan {
  name: string;
  dir: string;
  accelArgs: string[];
  memoryMiB: number;
  vcpus: number;
  rootDisk: string;
  /** `raw` only for a boot volume (the volume's own file); overlays are qcow2. */
  rootFormat: 'qcow2' | 'raw';
  /** A bootable ISO image (Glance disk_format `iso`), attached as a CD-ROM and booted first. */
  cdrom?: string;
  configDrive: string;
  directBoot?: DirectBoot;
  nics: NicPlan[];
  /** The network namespace QEMU runs in (the data plane's, when the NICs are taps). */
  netns?: string;
}

/** Files inside an instance folder. */
export const instanceFiles = (dir: string) => ({
  plan: join(dir, 'instance.json'),
  pid: join(dir, 'qemu.pid'),
  qmp: join(dir, 'qmp.sock'),
  console: join(dir, 'console.log'),
  root: join(dir, 'disk.qcow2'),
  configDrive: join(dir, 'config.iso'),
  state: join(dir, 'suspended'),
});

const esc = (path: string) => path.replaceAll(',', ',,');

const ipv4ToInt = (ip: string) => ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The slirp network for a port: its first IPv4 subnet (prefix 8-28), the gateway when inside it. */
export function nicPlan(port: InstancePort): NicPlan {
  const v4 = port.ips.find((cidr) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr));
  if (!v4) return { mac: port.mac };
  const [address = '', prefixText = ''] = v4.split('/');
  const prefix = Number(prefixText);
  if (prefix < 8 || prefix > 28) return { mac: port.mac };
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipv4ToInt(address) / size) * size;
  const gw = port.gateway && /^\d+\.\d+\.\d+\.\d+$/.test(port.gateway) ? ipv4ToInt(port.gateway) : base + 1;
  const inside = gw > base && gw < base + size - 1 && gw !== ipv4ToInt(address);
  return inside
    ? { mac: port.mac, net: `${intToIpv4(base)}/${prefix}`, host: intToIpv4(gw) }
    : { mac: port.mac, net: `${intToIpv4(base)}/${prefix}` };
}

/** The QEMU command line for a plan (daemonized, QMP on a unix socket, serial console appended to a file). */
export function qemuArgs(plan: LaunchPlan): string[] {
  const files = instanceFiles(plan.dir);
  const args = [
    '-name',
    `${plan.name},process=${plan.name}`,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-M',
    'pc',
    ...plan.accelArgs,
    '-m',
    String(plan.memoryMiB),
    '-smp',
    String(plan.vcpus),
    '-daemonize',
    '-pidfile',
    files.pid,
    '-qmp',
    `unix:${esc(files.qmp)},server=on,wait=off`,
    '-chardev',
    `file,id=serial0,path=${esc(files.console)},append=on`,
    '-serial',
    'chardev:serial0',
  ];
  if (plan.directBoot) {
    args.push('-kernel', plan.directBoot.kernel);
    if (plan.directBoot.initrd) args.push('-initrd', plan.directBoot.initrd);
    args.push('-append', plan.directBoot.cmdline ?? 'console=ttyS0 quiet');
  }
  if (plan.cdrom) {
    args.push('-blockdev', `driver=file,node-name=cdrom0,filename=${esc(plan.cdrom)},read-only=on`);
    args.push('-device', 'ide-cd,drive=cdrom0,bootindex=0');
  }
  args.push(
    '-blockdev',
    `driver=${plan.rootFormat},node-name=root,file.driver=file,file.filename=${esc(plan.rootDisk)}`,
  );
  args.push('-device', 'virtio-blk-pci,drive=root,bootindex=1');
  args.push(
    '-blockdev',
    `driver=raw,node-name=config,read-only=on,file.driver=file,file.filename=${esc(plan.configDrive)}`,
  );
  args.push('-device', 'virtio-blk-pci,drive=config');
  plan.nics.forEach((nic, i) => {
    args.push(...nicArgs(nic, i));
  });
  return args;
}
