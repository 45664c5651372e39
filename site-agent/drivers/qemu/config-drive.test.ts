/** network_data.json from the site's subnets: per-address gateway, host routes, DNS servers and the link MTU. */
import { describe, expect, it } from 'vitest';
import type { InstancePort } from '../../../shared/schemas/agent-protocol.ts';
import { inCidr, metaData, networkData } from './config-drive.ts';

describe('network_data.json', () => {
  it('tells which subnet an address lies in (IPv4 and IPv6)', () => {
    expect(inCidr('10.0.1.5', '10.0.1.0/24')).toBe(true);
    expect(inCidr('10.0.2.5', '10.0.1.0/24')).toBe(false);
    expect(inCidr('fd00:0:0:1::5', 'fd00:0:0:1::/64')).toBe(true);
    expect(inCidr('fd00:0:0:2::5', 'fd00:0:0:1::/64')).toBe(false);
    expect(inCidr('10.0.1.5', 'fd00::/64')).toBe(false);
    expect(inCidr('nonsense', '10.0.0.0/8')).toBe(false);
  });

  it('gives each address its own subnet gateway, host routes and DNS servers, and the link the network MTU', () => {
    const port: InstancePort = {
      id: 'port-0123456789abcdef',
      networkId: 'net1',
      mac: 'fa:16:3e:00:00:01',
      ips: ['10.0.1.5/24', '10.0.2.5/24'],
      gateway: '10.0.1.1',
      mtu: 1442,
      subnets: [
        { cidr: '10.0.1.0/24', gateway: '10.0.1.1', dnsNameservers: ['10.0.1.53'], hostRoutes: [] },
        {
          cidr: '10.0.2.0/24',
          gateway: null,
          dnsNameservers: ['9.9.9.9'],
          hostRoutes: [{ destination: '192.168.0.0/16', nexthop: '10.0.2.254' }],
        },
      ],
    };
    const doc = networkData([port]) as {
      links: Array<{ mtu: number }>;
      networks: Array<{ ip_address: string; routes: unknown[]; services: unknown[] }>;
      services: unknown[];
    };
    expect(doc.links[0]?.mtu).toBe(1442);
    expect(doc.networks[0]).toMatchObject({
      ip_address: '10.0.1.5',
      routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.1.1' }],
      services: [{ type: 'dns', address: '10.0.1.53' }],
    });
    expect(doc.networks[1]).toMatchObject({
      ip_address: '10.0.2.5',
      routes: [{ network: '192.168.0.0', netmask: '255.255.0.0', gateway: '10.0.2.254' }],
      services: [{ type: 'dns', address: '9.9.9.9' }],
    });
    expect(doc.services).toEqual([
      { type: 'dns', address: '10.0.1.53' },
      { type: 'dns', address: '9.9.9.9' },
    ]);
    // Without subnets (an older site): the port's gateway, no services.
    const plain = networkData([{ ...port, subnets: undefined, ips: ['10.0.1.5/24'] }]) as typeof doc;
    expect(plain.networks[0]?.routes).toEqual([{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.1.1' }]);
    expect(plain.services).toEqual([]);
  });

  it('lists tagged NICs as meta_data.json devices (Nova device metadata)', () => {
    const port = { id: 'p1', networkId: 'n1', mac: 'fa:16:3e:00:00:09', ips: ['10.0.0.9/24'] };
    const md = metaData({
      id: 'vm',
      name: 'vm',
      hostname: 'vm',
      projectId: 'p',
      vcpus: 1,
      memoryMiB: 64,
      diskGiB: 1,
      image: null,
      ports: [port, { ...port, id: 'p2', mac: 'fa:16:3e:00:00:0a', tag: 'data-nic' }],
    });
    expect(md.devices).toEqual([
      { type: 'nic', bus: 'pci', mac: 'fa:16:3e:00:00:0a', tags: ['data-nic'], vf_trusted: false },
    ]);
  });
});
