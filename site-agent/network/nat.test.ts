import { describe, expect, it } from 'vitest';
import { networkOf, renderNat } from './nat.ts';
import { routedGateways, routersHere } from './router.ts';
import { routerNamespace, uplinkPeerName } from './router-names.ts';

const base = {
  gatewayDevice: 'qg-abc',
  gatewayIp: '10.84.0.10',
  enableSnat: true,
  internalCidrs: ['10.82.0.0/24', '10.81.0.0/24', '10.81.0.0/24'],
  floatingIps: [{ floatingIp: '10.84.0.50', fixedIp: '10.81.0.11' }],
};

describe('router NAT rendering', () => {
  it('maps each floating IP 1:1 and SNATs the internal subnets leaving by the gateway', () => {
    const text = renderNat(base);
    expect(text.startsWith('table ip brume_nat\ndelete table ip brume_nat\n')).toBe(true);
    expect(text).toContain('ip daddr 10.84.0.50 dnat to 10.81.0.11');
    expect(text).toContain('oifname "qg-abc" ip saddr 10.81.0.11 snat to 10.84.0.50');
    expect(text).toContain('oifname "qg-abc" ip saddr { 10.81.0.0/24, 10.82.0.0/24 } snat to 10.84.0.10');
    // The floating IP's own SNAT comes before the router-wide one (first match wins in a NAT chain).
    expect(text.indexOf('snat to 10.84.0.50')).toBeLessThan(text.indexOf('snat to 10.84.0.10'));
    // DNAT in prerouting and output (the router's own traffic).
    expect(text.split('dnat to 10.81.0.11').length - 1).toBe(2);
  });

  it('honours enable_snat: false, keeping the floating IPs', () => {
    const text = renderNat({ ...base, enableSnat: false });
    expect(text).not.toContain('snat to 10.84.0.10');
    expect(text).toContain('snat to 10.84.0.50');
  });

  it('renders no NAT without a gateway, and skips non-IPv4 entries', () => {
    const none = renderNat({ ...base, gatewayDevice: null });
    expect(none).not.toContain('nat to');
    const v6 = renderNat({ ...base, floatingIps: [{ floatingIp: '2001:db8::5', fixedIp: '10.81.0.11' }] });
    expect(v6).not.toContain('2001:db8::5');
  });

  it('is deterministic whatever the order of its inputs', () => {
    const two = [
      { floatingIp: '10.84.0.51', fixedIp: '10.81.0.12' },
      { floatingIp: '10.84.0.50', fixedIp: '10.81.0.11' },
    ];
    expect(renderNat({ ...base, floatingIps: two })).toBe(renderNat({ ...base, floatingIps: [...two].reverse() }));
  });

  it('computes network addresses', () => {
    expect(networkOf('10.81.0.1/24')).toBe('10.81.0.0/24');
    expect(networkOf('192.168.7.130/25')).toBe('192.168.7.128/25');
    expect(networkOf('2001:db8::1/64')).toBeNull();
  });
});

describe('router placement and names', () => {
  const leg = (networkId: string, ip: string) => ({
    portId: `p-${networkId}`,
    networkId,
    mac: 'fa:16:3e:0:0:1',
    ips: [ip],
  });
  const r = {
    id: 'r1',
    interfaces: [leg('a', '10.1.0.1/24'), leg('b', '10.2.0.1/24')],
    gateway: null,
    floatingIps: [],
    routes: [],
  };

  it('plumbs a router only where one of its networks has ports, and says which gateways it holds', () => {
    expect(routersHere([r], new Set(['c']))).toEqual([]);
    expect(routersHere([r], new Set(['b']))).toEqual([r]);
    expect([...routedGateways([r], new Set(['a']), 'a')]).toEqual(['10.1.0.1']);
    expect([...routedGateways([r], new Set(['c']), 'a')]).toEqual([]);
  });

  it('names namespaces per host namespace and keeps interface names within 15 characters', () => {
    expect(routerNamespace('brume-0123456789', '6b0b5c5e-1111-2222-3333-444455556666')).toBe(
      'brume-0123456789-qr-6b0b5c5e-11',
    );
    expect(uplinkPeerName('brume-a', 'net').length).toBeLessThanOrEqual(15);
    expect(uplinkPeerName('brume-a', 'net')).not.toBe(uplinkPeerName('brume-b', 'net'));
  });
});
