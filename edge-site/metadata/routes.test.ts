/**
 * The site's metadata API: signed requests only, the instance named by the signature, the OpenStack and EC2 trees
 * with the config drive's documents.
 */
import { describe, expect, it } from 'vitest';
import {
  INSTANCE_ID_HEADER,
  INSTANCE_SIGNATURE_HEADER,
  instanceSignatureValid,
  signInstanceId,
} from '../../shared/metadata-signature.ts';
import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import { metaData, networkData } from '../../site-agent/drivers/qemu/config-drive.ts';
import { mountForTest, testDeps } from '../testing/deps.ts';
import { ec2InstanceId } from './content.ts';
import { metadataRoutes } from './routes.ts';

const SECRET = 'metadata-test-secret-0123456789';
const A = '6a1f1e0c-0000-4000-8000-00000000000a';
const B = '6b2f1e0c-0000-4000-8000-00000000000b';

const spec = (id: string, over: Partial<InstanceSpec> = {}): InstanceSpec => ({
  id,
  name: `vm-${id.slice(0, 2)}`,
  hostname: `vm-${id.slice(0, 2)}`,
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 128,
  diskGiB: 1,
  image: { id: 'a1b2c3d4-0000-4000-8000-000000000001', diskFormat: 'iso', size: 1, hash: null, token: 'tok' },
  ports: [
    {
      id: `port-${id}`,
      networkId: 'net1',
      mac: 'fa:16:3e:00:00:01',
      ips: ['10.0.0.5/24'],
      gateway: '10.0.0.1',
      mtu: 1450,
    },
  ],
  userData: Buffer.from('#cloud-config\nhostname: x\n').toString('base64'),
  publicKeys: { mykey: 'ssh-ed25519 AAAAC3 me@here' },
  metadata: { role: 'web' },
  availabilityZone: 'nova',
  ...over,
});

async function app() {
  const specs = new Map([
    [A, spec(A)],
    [B, spec(B, { userData: null, publicKeys: {} })],
  ]);
  return mountForTest(
    await testDeps(),
    '/metadata',
    metadataRoutes({ secret: async () => SECRET, instanceSpec: async (id) => specs.get(id) }),
  );
}

const signed = (id: string, secret = SECRET) => ({
  [INSTANCE_ID_HEADER]: id,
  [INSTANCE_SIGNATURE_HEADER]: signInstanceId(secret, id),
});

describe('instance id signatures', () => {
  it('accepts only the HMAC of that id under that secret', () => {
    const sig = signInstanceId(SECRET, A);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(instanceSignatureValid(SECRET, A, sig)).toBe(true);
    expect(instanceSignatureValid(SECRET, B, sig)).toBe(false);
    expect(instanceSignatureValid('another-secret-0123456789', A, sig)).toBe(false);
    expect(instanceSignatureValid(SECRET, A, '')).toBe(false);
    expect(instanceSignatureValid(SECRET, A, 'zz')).toBe(false);
  });
});

describe('metadata API (site side)', () => {
  it('refuses requests without an id (400), with a forged or foreign signature (403); unknown ids are 404', async () => {
    const a = await app();
    const path = '/metadata/openstack/latest/meta_data.json';
    expect((await a.request(path)).status).toBe(400);
    expect((await a.request(path, { headers: { [INSTANCE_ID_HEADER]: A } })).status).toBe(403);
    expect((await a.request(path, { headers: signed(A, 'not-the-secret-0123456789') })).status).toBe(403);
    // B's signature does not open A's data.
    const forged = { [INSTANCE_ID_HEADER]: A, [INSTANCE_SIGNATURE_HEADER]: signInstanceId(SECRET, B) };
    const res = await a.request(path, { headers: forged });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ forbidden: { code: 403 } });
    expect((await a.request(path, { headers: signed('unknown-id') })).status).toBe(404);
  });

  it('serves the OpenStack tree with the config drive documents', async () => {
    const a = await app();
    const get = async (path: string, id = A) => a.request(`/metadata${path}`, { headers: signed(id) });
    expect(await (await get('/openstack')).text()).toContain('2012-08-10\n');
    expect((await (await get('/openstack')).text()).split('\n')).toContain('latest');
    const listing = (await (await get('/openstack/latest')).text()).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['meta_data.json', 'network_data.json', 'user_data']));
    const md = await get('/openstack/latest/meta_data.json');
    expect(md.headers.get('content-type')).toContain('application/json');
    const mdText = await md.text();
    expect(mdText).toBe(`${JSON.stringify(metaData(spec(A)), null, 2)}\n`);
    expect(JSON.parse(mdText)).toMatchObject({ uuid: A, public_keys: { mykey: 'ssh-ed25519 AAAAC3 me@here' } });
    expect(JSON.parse(await (await get('/openstack/2013-10-17/meta_data.json', B)).text()).uuid).toBe(B);
    const nd = JSON.parse(await (await get('/openstack/latest/network_data.json')).text());
    expect(nd).toEqual(networkData(spec(A).ports));
    expect(nd.links[0].mtu).toBe(1450);
    expect(await (await get('/openstack/latest/user_data')).text()).toBe('#cloud-config\nhostname: x\n');
    expect((await get('/openstack/latest/user_data', B)).status).toBe(404);
    expect(JSON.parse(await (await get('/openstack/latest/vendor_data.json')).text())).toEqual({});
    expect(JSON.parse(await (await get('/openstack/latest/vendor_data2.json')).text())).toEqual({});
    expect((await get('/openstack/latest/password')).status).toBe(404);
    expect((await get('/openstack/1999-01-01/meta_data.json')).status).toBe(404);
    // The image token of the spawn spec never reaches a guest.
    expect(mdText).not.toContain('tok');
  });

  it('serves the EC2 subset cloud-init reads', async () => {
    const a = await app();
    const get = async (path: string, id = A) => a.request(`/metadata${path}`, { headers: signed(id) });
    expect((await (await get('/')).text()).split('\n')).toContain('2009-04-04');
    expect((await (await get('/latest/')).text()).split('\n')).toEqual(['meta-data/', 'user-data']);
    const tree = (await (await get('/latest/meta-data/')).text()).split('\n');
    expect(tree).toEqual(
      expect.arrayContaining(['instance-id', 'hostname', 'local-ipv4', 'public-keys/', 'placement/', 'local-hostname']),
    );
    expect(await (await get('/latest/meta-data/instance-id')).text()).toBe(ec2InstanceId(A));
    expect(await (await get('/2009-04-04/meta-data/hostname')).text()).toBe('vm-6a');
    expect(await (await get('/latest/meta-data/local-ipv4')).text()).toBe('10.0.0.5');
    expect(await (await get('/latest/meta-data/placement/availability-zone')).text()).toBe('nova');
    expect(await (await get('/latest/meta-data/public-keys/')).text()).toBe('0=mykey');
    expect(await (await get('/latest/meta-data/public-keys/0/')).text()).toBe('openssh-key');
    expect(await (await get('/latest/meta-data/public-keys/0/openssh-key')).text()).toBe('ssh-ed25519 AAAAC3 me@here');
    expect(await (await get('/latest/user-data')).text()).toBe('#cloud-config\nhostname: x\n');
    expect((await get('/latest/user-data', B)).status).toBe(404);
    expect((await get('/latest/meta-data/public-keys/', B)).status).toBe(404);
    expect((await get('/latest/meta-data/nothing-here')).status).toBe(404);
    expect((await get('/1234/meta-data/')).status).toBe(404);
  });
});
