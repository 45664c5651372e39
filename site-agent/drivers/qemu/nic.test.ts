import { describe, expect, it } from 'vitest';
import { inNetns, netdevAddArgs, nicArgs } from './nic.ts';

describe('QEMU NICs', () => {
  it('puts a port with a tap on it, with stable netdev and device ids', () => {
    expect(nicArgs({ mac: 'fa:16:3e:00:00:01', tap: 'tap3f2a9c1e-7b', qemuId: 'net0' }, 0)).toEqual([
      '-netdev',
      'tap,id=net0,ifname=tap3f2a9c1e-7b,script=no,downscript=no',
      '-device',
      'virtio-net-pci,netdev=net0,mac=fa:16:3e:00:00:01,id=net0-dev',
    ]);
    expect(netdevAddArgs({ mac: 'm', tap: 'tapx' }, 'p1')).toEqual({
      type: 'tap',
      id: 'p1',
      ifname: 'tapx',
      script: 'no',
      downscript: 'no',
    });
  });
  it('falls back to a restricted user-mode NIC shaped like the subnet', () => {
    expect(nicArgs({ mac: 'm', net: '10.0.0.0/24', host: '10.0.0.1' }, 2).slice(0, 2)).toEqual([
      '-netdev',
      'user,id=net2,restrict=on,net=10.0.0.0/24,host=10.0.0.1',
    ]);
    expect(netdevAddArgs({ mac: 'm', net: '10.0.0.0/24' }, 'p1')).toEqual({
      type: 'user',
      id: 'p1',
      restrict: true,
      net: '10.0.0.0/24',
    });
  });
  it('runs QEMU inside the namespace when there is one', () => {
    expect(inNetns('brume-abc', 'qemu', ['-m', '96'])).toEqual([
      'ip',
      ['netns', 'exec', 'brume-abc', 'qemu', '-m', '96'],
    ]);
    expect(inNetns(undefined, 'qemu', ['-m', '96'])).toEqual(['qemu', ['-m', '96']]);
  });
});
