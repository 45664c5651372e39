/**
 * The metadata service's pure parts and the relay (on a unix socket, with a fake site): addresses and indexes per
 * network, the DNAT ruleset, the instance lookup by (network, address), and the signed request to the site.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { instanceSignatureValid, type MetadataEndpoint } from '../../shared/metadata-signature.ts';
import { silentLogger } from '../../shared/ports/logger.ts';
import { dnsmasqArgs } from './dnsmasq.ts';
import {
  assignIndexes,
  indexOfAddress,
  instanceFor,
  MAX_METADATA_NETWORKS,
  metadataAddress,
  renderMetadataRuleset,
} from './metadata.ts';
import { createMetadataRelay, type MetadataRelay } from './metadata-relay.ts';

const ports = [
  { portId: 'p1', instanceId: 'vm1', networkId: 'net-a', ips: ['10.0.0.5/24', 'fd00::5/64'] },
  { portId: 'p2', instanceId: 'vm2', networkId: 'net-b', ips: ['10.0.0.5/24'] },
  { portId: 'p3', instanceId: 'vm3', networkId: 'net-a', ips: ['10.0.0.6/24'] },
];

describe('metadata addressing', () => {
  it('maps indexes to addresses on lo and back, refusing anything else', () => {
    expect(metadataAddress(1)).toBe('169.254.170.1');
    expect(metadataAddress(300)).toBe('169.254.171.44');
    for (const i of [1, 255, 256, 300, MAX_METADATA_NETWORKS]) expect(indexOfAddress(metadataAddress(i))).toBe(i);
    expect(indexOfAddress('::ffff:169.254.170.7')).toBe(7);
    expect(indexOfAddress('169.254.170.0')).toBeNull();
    expect(indexOfAddress('169.254.169.254')).toBeNull();
    expect(indexOfAddress('10.0.0.1')).toBeNull();
    expect(indexOfAddress('')).toBeNull();
  });

  it('keeps the indexes networks have, gives new ones the smallest free, drops the gone', () => {
    expect(assignIndexes({}, ['b', 'a'])).toEqual({ a: 1, b: 2 });
    expect(assignIndexes({ a: 1, b: 2 }, ['b', 'c'])).toEqual({ b: 2, c: 1 });
    expect(assignIndexes({ x: 3 }, ['x', 'y', 'z'])).toEqual({ x: 3, y: 1, z: 2 });
    const many = Array.from({ length: MAX_METADATA_NETWORKS + 2 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    expect(Object.keys(assignIndexes({}, many))).toHaveLength(MAX_METADATA_NETWORKS);
  });

  it('names the instance by network and address, never by address alone', () => {
    expect(instanceFor(ports, 'net-a', '10.0.0.5')).toBe('vm1');
    expect(instanceFor(ports, 'net-b', '10.0.0.5')).toBe('vm2');
    expect(instanceFor(ports, 'net-a', '::ffff:10.0.0.6')).toBe('vm3');
    expect(instanceFor(ports, 'net-b', '10.0.0.6')).toBeNull();
    expect(instanceFor(ports, 'net-c', '10.0.0.5')).toBeNull();
  });

  it('renders a DNAT per bridge and drops direct access to the per-network addresses', () => {
    const text = renderMetadataRuleset([
      { networkId: 'net-b', bridge: 'brqnetb', index: 2 },
      { networkId: 'net-a', bridge: 'brqneta', index: 1 },
    ]);
    expect(text).toContain('iifname "brqneta" ip daddr 169.254.169.254 tcp dport 80 dnat to 169.254.170.1');
    expect(text).toContain('iifname "brqnetb" ip daddr 169.254.169.254 tcp dport 80 dnat to 169.254.170.2');
    expect(text.indexOf('brqneta')).toBeLessThan(text.indexOf('brqnetb'));
    expect(text).toContain('ip daddr 169.254.170.0/23 ct original ip daddr != 169.254.169.254 drop');
    expect(text.startsWith('table ip brume_metadata\ndelete table ip brume_metadata\n')).toBe(true);
  });

  it('hands out the metadata route by DHCP (option 121) with the default route beside it', () => {
    const subnet = { cidr: '10.0.0.0/24', serverIp: '10.0.0.2', gateway: '10.0.0.1', mtu: 1450 };
    const args = dnsmasqArgs({ bridge: 'brq', subnet, hostsFile: '/h', pidFile: '/p' });
    expect(args).toContain(
      '--dhcp-option=option:classless-static-route,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1',
    );
    expect(args).toContain('--dhcp-option=option:mtu,1450');
    const isolated = dnsmasqArgs({
      bridge: 'brq',
      subnet: { ...subnet, gateway: null },
      hostsFile: '/h',
      pidFile: '/p',
    });
    expect(isolated).toContain('--dhcp-option=option:classless-static-route,169.254.169.254/32,10.0.0.2');
  });
});

describe('metadata relay (unix socket, fake site)', () => {
  let dir = '';
  let relay: MetadataRelay | undefined;
  afterEach(async () => {
    await relay?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ask = (socketPath: string, path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath, path, headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('signs the instance it resolved and passes the site answer back; unknown sources 404, no endpoint 503', async () => {
    dir = await mkdtemp(join(tmpdir(), 'brume-relay-'));
    const socketPath = join(dir, 'metadata.sock');
    const seen: Array<{ url: string; headers: Headers }> = [];
    let endpoint: MetadataEndpoint | undefined;
    const fakeFetch: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), headers: new Headers(init?.headers) });
      return new Response('{"uuid": "vm2"}\n', { status: 200, headers: { 'content-type': 'application/json' } });
    };
    relay = createMetadataRelay({
      socketPath,
      log: silentLogger,
      fetchImpl: fakeFetch,
      lookup: {
        networkOfIndex: (i) => ({ 1: 'net-a', 2: 'net-b' })[i],
        instanceFor: (net, ip) => instanceFor(ports, net, ip),
        endpoint: () => endpoint,
      },
    });
    await relay.listen();
    const from = (local: string, source: string) => ({ 'x-brume-local-address': local, 'x-forwarded-for': source });
    const path = '/openstack/latest/meta_data.json';
    expect((await ask(socketPath, path, from('169.254.170.2', '10.0.0.5'))).status).toBe(503);
    endpoint = { url: 'http://site.example:5000', secret: 'relay-test-secret-0123456789' };
    const ok = await ask(socketPath, path, from('169.254.170.2', '10.0.0.5'));
    expect(ok).toEqual({ status: 200, body: '{"uuid": "vm2"}\n' });
    const call = seen[0];
    expect(call?.url).toBe(`http://site.example:5000/metadata${path}`);
    expect(call?.headers.get('x-instance-id')).toBe('vm2');
    expect(instanceSignatureValid(endpoint.secret, 'vm2', call?.headers.get('x-instance-id-signature') ?? '')).toBe(
      true,
    );
    // A guest cannot walk out of /metadata on the site.
    await ask(socketPath, '/openstack/../../v3/auth/tokens', from('169.254.170.2', '10.0.0.5'));
    await ask(socketPath, '/%2e%2e/%2E%2E/healthz', from('169.254.170.2', '10.0.0.5'));
    expect(seen.slice(1).map((c) => c.url)).toEqual([
      'http://site.example:5000/metadata/v3/auth/tokens',
      'http://site.example:5000/metadata/healthz',
    ]);
    seen.splice(1);
    expect((await ask(socketPath, path, from('169.254.170.9', '10.0.0.5'))).status).toBe(404);
    expect((await ask(socketPath, path, from('10.0.0.1', '10.0.0.5'))).status).toBe(404);
    expect((await ask(socketPath, path, from('169.254.170.2', '10.0.0.6'))).status).toBe(404);
    expect(seen).toHaveLength(1);
    // A relay restarted by a new agent takes over the socket file the old one left.
    await relay.close();
    await relay.listen();
    expect((await ask(socketPath, path, from('169.254.170.1', '10.0.0.6'))).status).toBe(200);
    expect(seen[1]?.headers.get('x-instance-id')).toBe('vm3');
  });
});
