import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/ports/logger.ts';
import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';
import { type LaunchPlan, nicPlan, qemuArgs } from './command-line.ts';
import { metaData, networkData, prefixToNetmask } from './config-drive.ts';
import { chooseAccel, parseQemuVersion } from './host.ts';
import { createImageCache } from './image-cache.ts';

const root = await mkdtemp(join(tmpdir(), 'brume-qemu-unit-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const sha512 = (data: string | Buffer) => createHash('sha512').update(data).digest('hex');

describe('accelerator choice', () => {
  const pvmHost = { cpuFlags: false, kvmModule: false, devKvm: true };
  it('uses TCG where /dev/kvm is a PVM module without vmx/svm', () => {
    expect(chooseAccel('auto', pvmHost)).toEqual({ accel: 'tcg', args: ['-accel', 'tcg', '-cpu', 'max'] });
  });
  it('uses KVM only with cpu flags, kvm_intel/kvm_amd and /dev/kvm', () => {
    expect(chooseAccel('auto', { cpuFlags: true, kvmModule: true, devKvm: true }).accel).toBe('kvm');
    expect(chooseAccel('auto', { cpuFlags: true, kvmModule: false, devKvm: true }).accel).toBe('tcg');
    expect(chooseAccel('kvm', pvmHost).accel).toBe('kvm');
    expect(chooseAccel('tcg', { cpuFlags: true, kvmModule: true, devKvm: true }).accel).toBe('tcg');
  });
  it('parses the QEMU version into Nova’s integer form', () => {
    expect(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)')).toEqual({
      text: '7.2.22',
      number: 7002022,
    });
    expect(parseQemuVersion('nonsense').number).toBe(0);
  });
});

describe('config drive documents', () => {
  const spec: InstanceSpec = {
    id: 'vm1',
    name: 'web',
    hostname: 'web-1',
    projectId: 'p1',
    vcpus: 1,
    memoryMiB: 128,
    diskGiB: 1,
    image: null,
    ports: [
      {
        id: 'port-aaaaaaaaaaaa',
        networkId: 'net1',
        mac: 'fa:16:3e:00:00:01',
        ips: ['fd00::5/64', '10.0.0.5/24'],
        gateway: '10.0.0.1',
      },
    ],
    publicKeys: { k1: 'ssh-ed25519 AAAA me' },
    availabilityZone: 'edge-1',
  };
  it('writes the OpenStack meta_data fields', () => {
    expect(metaData(spec)).toMatchObject({
      uuid: 'vm1',
      name: 'web',
      hostname: 'web-1',
      project_id: 'p1',
      availability_zone: 'edge-1',
      launch_index: 0,
      public_keys: { k1: 'ssh-ed25519 AAAA me' },
      keys: [{ name: 'k1', type: 'ssh', data: 'ssh-ed25519 AAAA me' }],
    });
  });
  it('puts IPv4 networks first, with netmask and default route', () => {
    const doc = networkData(spec.ports) as { links: unknown[]; networks: Array<Record<string, unknown>> };
    expect(doc.links).toEqual([
      expect.objectContaining({ ethernet_mac_address: 'fa:16:3e:00:00:01', vif_id: 'port-aaaaaaaaaaaa', mtu: 1500 }),
    ]);
    expect(doc.networks[0]).toMatchObject({
      type: 'ipv4',
      ip_address: '10.0.0.5',
      netmask: '255.255.255.0',
      routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }],
      network_id: 'net1',
    });
    expect(doc.networks[1]).toMatchObject({ type: 'ipv6', ip_address: 'fd00::5', routes: [] });
  });
  it('converts prefixes to masks', () => {
    expect(prefixToNetmask(20, false)).toBe('255.255.240.0');
    expect(prefixToNetmask(64, true)).toBe('ffff:ffff:ffff:ffff:0000:0000:0000:0000');
  });
});

describe('QEMU command line', () => {
  it('shapes the slirp network like the port subnet', () => {
    const port = { id: 'p', networkId: 'n', mac: 'fa:16:3e:00:00:02', ips: ['192.168.7.9/24'], gateway: '192.168.7.1' };
    expect(nicPlan(port)).toEqual({ mac: port.mac, net: '192.168.7.0/24', host: '192.168.7.1' });
    expect(nicPlan({ ...port, gateway: null })).toEqual({ mac: port.mac, net: '192.168.7.0/24', host: '192.168.7.1' });
    expect(nicPlan({ ...port, ips: ['192.168.7.9/30'] })).toEqual({ mac: port.mac });
    expect(nicPlan({ ...port, ips: ['fd00::9/64'] })).toEqual({ mac: port.mac });
  });
  it('daemonizes with a pidfile, QMP socket and appended serial log, and escapes commas in paths', () => {
    const plan: LaunchPlan = {
      name: 'brume-vm1',
      dir: '/d/vm1',
      accelArgs: ['-accel', 'tcg', '-cpu', 'max'],
      memoryMiB: 128,
      vcpus: 2,
      rootDisk: '/d/vm1/disk,1.qcow2',
      rootFormat: 'qcow2',
      cdrom: '/images/iso',
      configDrive: '/d/vm1/config.iso',
      nics: [{ mac: 'fa:16:3e:00:00:01', net: '10.0.0.0/24', host: '10.0.0.1' }],
    };
    const args = qemuArgs(plan).join(' ');
    expect(args).toContain('-daemonize -pidfile /d/vm1/qemu.pid');
    expect(args).toContain('-qmp unix:/d/vm1/qmp.sock,server=on,wait=off');
    expect(args).toContain('file,id=serial0,path=/d/vm1/console.log,append=on');
    expect(args).toContain('-nodefaults -no-user-config -display none');
    expect(args).toContain('file.filename=/d/vm1/disk,,1.qcow2');
    expect(args).toContain('ide-cd,drive=cdrom0,bootindex=0');
    expect(args).toContain('-netdev user,id=net0,restrict=on,net=10.0.0.0/24,host=10.0.0.1');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=fa:16:3e:00:00:01');
    expect(args).not.toContain('-kernel');
  });
});

describe('image cache', () => {
  const body = Buffer.from('brume image bytes');
  it('copies a file: image once, verifying its sha512', async () => {
    const src = join(root, 'src.img');
    await writeFile(src, body);
    const cache = createImageCache({ dir: join(root, 'cache1'), log: silentLogger });
    const image = {
      id: 'img1',
      diskFormat: 'raw',
      size: body.length,
      hash: sha512(body),
      url: pathToFileURL(src).href,
    };
    const [a, b] = await Promise.all([cache.fetch(image), cache.fetch(image)]);
    expect(a).toBe(b);
    expect(await readFile(a)).toEqual(body);
    await rm(src);
    expect(await cache.fetch(image)).toBe(a);
  });
  it('rejects a corrupt download and keeps nothing', async () => {
    const src = join(root, 'src2.img');
    await writeFile(src, body);
    const dir = join(root, 'cache2');
    const cache = createImageCache({ dir, log: silentLogger });
    const image = { id: 'img2', diskFormat: 'raw', size: null, hash: sha512('other'), url: pathToFileURL(src).href };
    await expect(cache.fetch(image)).rejects.toMatchObject({ code: 'hypervisor.image_corrupt' });
    await expect(stat(join(dir, 'img2'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(cache.fetch({ ...image, url: undefined })).rejects.toMatchObject({
      code: 'hypervisor.image_unavailable',
    });
    await expect(cache.fetch({ ...image, id: '../x' })).rejects.toMatchObject({ code: 'hypervisor.invalid_spec' });
  });
  it('downloads over HTTP with the agent’s X-Auth-Token', async () => {
    const tokens: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      tokens.push(req.headers['x-auth-token'] as string | undefined);
      if (req.url === '/v2/images/img3/file') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cache = createImageCache({ dir: join(root, 'cache3'), log: silentLogger, authToken: () => 'tok-1' });
      const path = await cache.fetch({
        id: 'img3',
        diskFormat: 'qcow2',
        size: null,
        hash: sha512(body),
        url: `${base}/v2/images/img3/file`,
      });
      expect(await readFile(path)).toEqual(body);
      expect(tokens).toEqual(['tok-1']);
      await expect(
        cache.fetch({ id: 'img4', diskFormat: 'raw', size: null, hash: null, url: `${base}/v2/images/img4/file` }),
      ).rejects.toMatchObject({ code: 'hypervisor.image_unavailable' });
      // The site's per-spawn token (image.token) wins over the agent's own.
      const again = createImageCache({ dir: join(root, 'cache4'), log: silentLogger, authToken: () => 'tok-1' });
      await again.fetch({
        id: 'img3',
        diskFormat: 'qcow2',
        size: null,
        hash: sha512(body),
        url: `${base}/v2/images/img3/file`,
        token: 'spawn-token',
      });
      expect(tokens).toEqual(['tok-1', 'tok-1', 'spawn-token']);
    } finally {
      server.close();
    }
  });
});
