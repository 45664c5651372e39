/**
 * Nova's createImage (`openstack server image create`) of a volume-backed server, as Nova does it: each mapped
 * volume is snapshotted (forced) and a Glance image records them as an image-defined block device mapping
 * (`block_device_mapping` JSON, `bdm_v2`, `root_device_name`) with no bytes (size 0). Booting that image creates
 * volumes from those snapshots (imageBlockDevices below). The image is made through this site's Glance API with the
 * caller's token. Servers booted from an image are not snapshotted here (409).
 */
import { BrumeError, badRequest, conflict } from '../../../shared/errors.ts';
import type { Image } from '../../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../../api/env.ts';
import type { BootVolumeRequest } from '../../services.ts';
import type { ComputeContext } from '../context.ts';
import type { ServerRow } from './store.ts';

/** volume_image_metadata keys not carried into the new image (Nova drops the origin's identity and checksums). */
const NOT_INHERITED = new Set(['image_id', 'image_name', 'size', 'checksum', 'container_format', 'disk_format']);

/** Creates the image; returns its id (the 202's Location and, from 2.45, `image_id`). */
export async function createServerImage(
  ctx: ComputeContext,
  row: ServerRow,
  arg: unknown,
  auth: AuthContext,
): Promise<string> {
  const a = (arg ?? {}) as { name?: unknown; metadata?: unknown };
  if (typeof a.name !== 'string' || a.name.trim() === '' || a.name.length > 255) {
    throw badRequest('compute.invalid_image_name', 'Invalid input for field/attribute name. Value: must be a string.');
  }
  const metadata: Record<string, string> = {};
  if (a.metadata !== undefined) {
    if (a.metadata === null || typeof a.metadata !== 'object' || Array.isArray(a.metadata)) {
      throw badRequest('compute.invalid_metadata', 'Invalid input for field/attribute metadata.');
    }
    for (const [k, v] of Object.entries(a.metadata)) metadata[k] = String(v);
  }
  const devices = (await ctx.services.volume?.snapshotServerVolumes?.(auth, row.id, a.name)) ?? [];
  if (devices.length === 0) {
    throw conflict(
      'compute.snapshot_not_supported',
      `Cannot create an image of server ${row.id}: only volume-backed servers can be snapshotted at this site.`,
    );
  }
  const root = devices.find((d) => d.bootIndex === 0);
  // Glance wants min_disk/min_ram as integers; the rest of the origin's properties are strings.
  const inherited: Record<string, string | number> = Object.fromEntries(
    Object.entries(root?.imageMetadata ?? {}).filter(([k]) => !NOT_INHERITED.has(k)),
  );
  for (const k of ['min_disk', 'min_ram']) {
    if (k in inherited) inherited[k] = Number.parseInt(String(inherited[k]), 10) || 0;
  }
  const mapping = devices.map((d) => ({
    source_type: 'snapshot',
    destination_type: 'volume',
    snapshot_id: d.snapshotId,
    volume_size: d.sizeGiB,
    boot_index: d.bootIndex,
    device_name: d.deviceName,
    delete_on_termination: d.deleteOnTermination,
    device_type: 'disk',
    disk_bus: 'virtio',
    guest_format: null,
    volume_type: null,
    image_id: null,
    volume_id: null,
    no_device: null,
    tag: null,
  }));
  const images = ctx.services.image.fileUrl('IMAGE').replace(/\/IMAGE\/file$/, '');
  const headers = { 'x-auth-token': auth.token, 'content-type': 'application/json' };
  const created = await fetch(images, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      ...inherited,
      ...metadata,
      name: a.name,
      disk_format: root?.imageMetadata?.disk_format || 'raw',
      container_format: root?.imageMetadata?.container_format || 'bare',
      block_device_mapping: JSON.stringify(mapping),
      bdm_v2: 'True',
      root_device_name: root?.deviceName ?? '/dev/vda',
    }),
  });
  const image = (await created.json().catch(() => ({}))) as { id?: string };
  if (!created.ok || !image.id) {
    const kind = created.status === 403 ? 'forbidden' : created.status === 413 ? 'over_quota' : 'bad_request';
    throw new BrumeError(kind, 'compute.image_create_failed', `Glance refused the image: ${created.status}`);
  }
  // No bytes: the image becomes active with size 0, as Nova's volume-backed snapshots do.
  const put = await fetch(`${images}/${image.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': auth.token, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(0),
  });
  if (!put.ok) throw new BrumeError('internal', 'compute.image_upload_failed', `Glance answered ${put.status}`);
  ctx.deps.log.info({ instance: row.id, image: image.id, volumes: devices.length }, 'volume-backed server imaged');
  return image.id;
}

/**
 * An image-defined block device mapping (an image made by createImage of a volume-backed server): the volumes to
 * create from its snapshots, or null when the image has none (it boots as an image).
 */
export function imageBlockDevices(image: Pick<Image, 'properties'>): BootVolumeRequest[] | null {
  const raw = image.properties?.block_device_mapping;
  if (!raw) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  const out: BootVolumeRequest[] = [];
  for (const b of parsed as Array<Record<string, unknown>>) {
    const uuid = b.snapshot_id ?? b.volume_id ?? b.image_id;
    if (typeof uuid !== 'string') continue;
    const source: BootVolumeRequest['source'] = b.snapshot_id ? 'snapshot' : b.volume_id ? 'volume' : 'image';
    out.push({
      source,
      uuid,
      ...(typeof b.volume_size === 'number' ? { sizeGiB: b.volume_size } : {}),
      bootIndex: typeof b.boot_index === 'number' ? b.boot_index : null,
      deleteOnTermination: b.delete_on_termination === true,
    });
  }
  return out.some((v) => v.bootIndex === 0) ? out : null;
}

/** {@link imageBlockDevices} of an image `auth` may boot (null when unknown: the usual checks answer then). */
export function imageBlockDevicesOf(
  services: ComputeContext['services'],
  auth: AuthContext,
  imageRef: string,
): BootVolumeRequest[] | null {
  try {
    return imageBlockDevices(services.image.getForBoot(auth, imageRef.split('/').pop() ?? ''));
  } catch {
    return null;
  }
}
