/** DHCP for every IPv4 subnet of a network: a tagged range each, with that subnet's router, DNS and host routes. */
import { describe, expect, it } from 'vitest';
import { dhcpSubnet, dnsmasqArgs, extraSubnets, withSubnetOptions } from './dnsmasq.ts';

const members = [
  {
    ips: ['10.0.0.5/24'],
    mtu: 1450,
    subnets: [{ cidr: '10.0.0.0/24', gateway: '10.0.0.1', dnsNameservers: ['10.0.0.53'], hostRoutes: [] }],
  },
  {
    ips: ['10.0.1.5/24', 'fd00::5/64'],
    mtu: 1450,
    subnets: [
      {
        cidr: '10.0.1.0/24',
        gateway: '10.0.1.1',
        dnsNameservers: [],
        hostRoutes: [{ destination: '172.16.0.0/12', nexthop: '10.0.1.9' }],
      },
    ],
  },
  { ips: ['10.0.1.6/24', '10.0.2.6/24'], mtu: 1450 },
];

describe('dnsmasq for every subnet', () => {
  it('finds the other IPv4 subnets once each, with the site options; the bridge takes a host address aside', () => {
    const primary = dhcpSubnet(['10.0.0.5/24'], '10.0.0.1', 1450);
    if (!primary) throw new Error('no subnet');
    const extra = extraSubnets(members, primary);
    expect(extra.map((x) => x.cidr)).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(extra[0]).toMatchObject({ serverIp: '10.0.1.254', gateway: '10.0.1.1', mtu: 1450, dns: [] });
    expect(extra[1]).toMatchObject({ serverIp: '10.0.2.254', gateway: null });
    const args = dnsmasqArgs({
      bridge: 'brq',
      subnet: withSubnetOptions(primary, members),
      extra,
      hostsFile: '/h',
      pidFile: '/p',
    });
    expect(args).toEqual(
      expect.arrayContaining([
        '--dhcp-range=10.0.0.0,static,255.255.255.0,12h',
        '--dhcp-option=option:router,10.0.0.1',
        '--dhcp-option=option:dns-server,10.0.0.53',
        '--dhcp-option=option:mtu,1450',
        '--dhcp-range=set:s1,10.0.1.0,static,255.255.255.0,12h',
        '--dhcp-option=tag:s1,option:router,10.0.1.1',
        '--dhcp-option=tag:s1,option:dns-server',
        '--dhcp-option=tag:s1,option:classless-static-route,169.254.169.254/32,10.0.1.254,0.0.0.0/0,10.0.1.1,172.16.0.0/12,10.0.1.9',
        '--dhcp-range=set:s2,10.0.2.0,static,255.255.255.0,12h',
        '--dhcp-option=tag:s2,option:router',
        '--dhcp-option=tag:s2,option:classless-static-route,169.254.169.254/32,10.0.2.254',
      ]),
    );
    expect(dnsmasqArgs({ bridge: 'brq', subnet: primary, hostsFile: '/h', pidFile: '/p' }).join(' ')).not.toContain(
      'set:',
    );
  });
});
