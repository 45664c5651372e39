/**
 * What the metadata service answers for one instance (pure): Nova's OpenStack metadata API (`/openstack/<version>/
 * meta_data.json`, `user_data`, `network_data.json`, `vendor_data*.json`) and the EC2-compatible subset cloud-init
 * reads (`/<version>/meta-data/...`, `/<version>/user-data`). The documents are the config drive's (same builders, so
 * both sources agree byte for byte); directories are newline-separated listings, sub-directories ending in `/`.
 */
import type { InstanceSpec } from '../../shared/schemas/agent-protocol.ts';
import { metaData, networkData } from '../../site-agent/drivers/qemu/config-drive.ts';

/** A document of the service (absent: 404). */
export interface MetadataDocument {
  contentType: string;
  body: string | Uint8Array;
}

/** Versions of the OpenStack API served (all alike: `latest`'s content). */
export const OPENSTACK_VERSIONS = [
  '2012-08-10',
  '2013-04-04',
  '2013-10-17',
  '2015-10-15',
  '2016-06-30',
  '2016-10-06',
  '2017-02-22',
  '2018-08-27',
  '2020-10-14',
  'latest',
];

/** Versions of the EC2 API served (Nova's list). */
export const EC2_VERSIONS = [
  '1.0',
  '2007-01-19',
  '2007-03-01',
  '2007-08-29',
  '2007-10-10',
  '2007-12-15',
  '2008-02-01',
  '2008-09-01',
  '2009-04-04',
  'latest',
];

const text = (body: string): MetadataDocument => ({ contentType: 'text/plain; charset=utf-8', body });
const json = (value: unknown): MetadataDocument => ({
  contentType: 'application/json',
  body: `${JSON.stringify(value, null, 2)}\n`,
});
const listing = (items: string[]) => text(items.join('\n'));

/** The instance's user data, decoded (null when it has none). */
function userData(spec: InstanceSpec): Uint8Array | null {
  return spec.userData ? Buffer.from(spec.userData, 'base64') : null;
}

/** EC2's `i-xxxxxxxx` form of the instance id (the uuid's first 8 hex digits). */
export const ec2InstanceId = (id: string) => `i-${id.replace(/-/g, '').slice(0, 8).padEnd(8, '0')}`;

/** The EC2 `meta-data` tree: leaves are strings, directories are objects. */
type Tree = { [key: string]: string | Tree };

function ec2Tree(spec: InstanceSpec): Tree {
  const v4 = spec.ports.flatMap((p) => p.ips.map((c) => c.split('/')[0] ?? c)).find((a) => !a.includes(':'));
  const keys = Object.entries(spec.publicKeys ?? {});
  const tree: Tree = {
    'ami-id': spec.image ? `ami-${spec.image.id.replace(/-/g, '').slice(0, 8)}` : 'ami-00000000',
    'ami-launch-index': '0',
    'block-device-mapping': { ami: 'vda', root: '/dev/vda' },
    hostname: spec.hostname,
    'instance-action': 'none',
    'instance-id': ec2InstanceId(spec.id),
    'local-hostname': spec.hostname,
    placement: { 'availability-zone': spec.availabilityZone ?? 'nova' },
    'public-hostname': spec.hostname,
    'reservation-id': `r-${spec.id.replace(/-/g, '').slice(8, 16)}`,
  };
  if (v4) tree['local-ipv4'] = v4;
  if (keys.length > 0) {
    tree['public-keys'] = Object.fromEntries(keys.map(([, data], i) => [String(i), { 'openssh-key': data }]));
  }
  return tree;
}

/** A node of the EC2 tree by path segments (`public-keys/0=name` listing is special-cased by the caller). */
function ec2Node(tree: Tree, parts: string[]): string | Tree | undefined {
  let node: string | Tree | undefined = tree;
  for (const part of parts) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return node;
}

function ec2Document(spec: InstanceSpec, parts: string[]): MetadataDocument | null {
  const [what, ...rest] = parts;
  if (what === undefined) return listing(userData(spec) ? ['meta-data/', 'user-data'] : ['meta-data/']);
  if (what === 'user-data' && rest.length === 0) {
    const data = userData(spec);
    return data ? { contentType: 'application/octet-stream', body: data } : null;
  }
  if (what !== 'meta-data') return null;
  const tree = ec2Tree(spec);
  const node = ec2Node(tree, rest);
  if (node === undefined) return null;
  if (typeof node === 'string') return text(node);
  // EC2 lists public keys as `<index>=<name>`.
  if (rest.length === 1 && rest[0] === 'public-keys') {
    return listing(Object.keys(spec.publicKeys ?? {}).map((name, i) => `${i}=${name}`));
  }
  return listing(Object.entries(node).map(([k, v]) => (typeof v === 'string' ? k : `${k}/`)));
}

function openstackDocument(spec: InstanceSpec, parts: string[]): MetadataDocument | null {
  const [version, file, ...rest] = parts;
  if (version === undefined) return listing(OPENSTACK_VERSIONS);
  if (!OPENSTACK_VERSIONS.includes(version) || rest.length > 0) return null;
  const data = userData(spec);
  switch (file) {
    case undefined:
      return listing([
        'meta_data.json',
        'password',
        'vendor_data.json',
        'network_data.json',
        'vendor_data2.json',
        ...(data ? ['user_data'] : []),
      ]);
    case 'meta_data.json':
      return json(metaData(spec));
    case 'network_data.json':
      return json(networkData(spec.ports));
    case 'vendor_data.json':
    case 'vendor_data2.json':
      return json({});
    case 'user_data':
      return data ? { contentType: 'application/octet-stream', body: data } : null;
    default:
      // `password` included: Brume keeps no instance passwords (Nova answers an empty one; a 404 reads the same).
      return null;
  }
}

/** The document at `path` (below `/metadata`, e.g. `/openstack/latest/meta_data.json`), or null for a 404. */
export function metadataDocument(spec: InstanceSpec, path: string): MetadataDocument | null {
  const parts = path.split('/').filter((p) => p !== '');
  const [root, ...rest] = parts;
  if (root === undefined) return listing(EC2_VERSIONS);
  if (root === 'openstack') return openstackDocument(spec, rest);
  if (EC2_VERSIONS.includes(root)) return ec2Document(spec, rest);
  return null;
}
