/**
 * Nova's block device mappings on server create: `block_device_mapping_v2` and the legacy `block_device_mapping`,
 * reduced to the image to boot (when any) and the volumes the server boots with (destination `volume`). Boot index 0
 * is the root disk; a server whose root is a volume has no image (Nova shows `image: ""`).
 */
import { z } from 'zod';
import { badRequest } from '../../../shared/errors.ts';
import type { BootVolumeRequest } from '../../services.ts';

const flag = z.union([z.boolean(), z.string(), z.number()]).nullable().optional();
const size = z
  .union([z.number().int().min(1), z.string().regex(/^\d+$/)])
  .nullable()
  .optional();

/** One `block_device_mapping_v2` entry (unknown keys are ignored, as Nova's schema allows tags etc.). */
export const bdmV2 = z.looseObject({
  source_type: z.enum(['image', 'volume', 'snapshot', 'blank']).optional(),
  destination_type: z.enum(['local', 'volume']).optional(),
  uuid: z.string().optional(),
  boot_index: z.union([z.number().int(), z.string(), z.null()]).optional(),
  volume_size: size,
  delete_on_termination: flag,
});

/** One legacy `block_device_mapping` entry. */
export const bdmLegacy = z.looseObject({
  device_name: z.string().nullable().optional(),
  volume_id: z.string().nullable().optional(),
  snapshot_id: z.string().nullable().optional(),
  volume_size: size,
  delete_on_termination: flag,
  no_device: flag,
});

const truthy = (v: unknown) =>
  v === true || v === 1 || (typeof v === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase()));

const bootIndex = (v: number | string | null | undefined): number | null => {
  if (v === null || v === undefined || v === '' || v === 'none') return null;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw badRequest('compute.invalid_bdm', `Invalid boot_index ${JSON.stringify(v)}.`);
  return n < 0 ? null : n;
};

const ROOT_DEVICES = new Set(['vda', '/dev/vda', 'sda', '/dev/sda', 'xvda', '/dev/xvda', 'hda', '/dev/hda']);

/** What the mappings of a create request ask for. */
export interface BlockDevices {
  /** The image to boot (`imageRef`, or an image mapping with destination local and boot index 0); '' for none. */
  imageRef: string;
  volumes: BootVolumeRequest[];
  /** True when boot index 0 is a volume: the server has no image. */
  rootIsVolume: boolean;
  /** Images that volumes are created from (validated like imageRef). */
  volumeImages: string[];
}

/** Reads the mappings; 400 for combinations Nova refuses. */
export function parseBlockDevices(server: {
  imageRef?: string;
  block_device_mapping_v2?: Array<z.infer<typeof bdmV2>>;
  block_device_mapping?: Array<z.infer<typeof bdmLegacy>>;
}): BlockDevices {
  let imageRef = server.imageRef ?? '';
  const volumes: BootVolumeRequest[] = [];
  for (const b of server.block_device_mapping_v2 ?? []) {
    const source = b.source_type ?? 'blank';
    const destination = b.destination_type ?? (source === 'volume' || source === 'snapshot' ? 'volume' : 'local');
    const index = bootIndex(b.boot_index);
    if (destination === 'local') {
      if (source === 'image') {
        if (imageRef === '' && b.uuid && index === 0) imageRef = b.uuid;
        continue;
      }
      if (source === 'blank') continue;
      throw badRequest('compute.invalid_bdm', `Block Device Mapping is Invalid: a ${source} cannot be local.`);
    }
    if (source !== 'blank' && !b.uuid) {
      throw badRequest('compute.invalid_bdm', `Block Device Mapping is Invalid: uuid is required for ${source}.`);
    }
    volumes.push({
      source,
      ...(b.uuid ? { uuid: b.uuid } : {}),
      ...(b.volume_size !== undefined && b.volume_size !== null ? { sizeGiB: Number(b.volume_size) } : {}),
      bootIndex: index,
      deleteOnTermination: truthy(b.delete_on_termination),
    });
  }
  for (const b of server.block_device_mapping ?? []) {
    if (truthy(b.no_device)) continue;
    const uuid = b.volume_id ?? b.snapshot_id ?? undefined;
    if (!uuid) throw badRequest('compute.invalid_bdm', 'Block Device Mapping is Invalid: volume_id is required.');
    const root = ROOT_DEVICES.has(b.device_name ?? '') || (imageRef === '' && !b.device_name);
    volumes.push({
      source: b.volume_id ? 'volume' : 'snapshot',
      uuid,
      ...(b.volume_size !== undefined && b.volume_size !== null ? { sizeGiB: Number(b.volume_size) } : {}),
      bootIndex: root && !volumes.some((v) => v.bootIndex === 0) ? 0 : null,
      deleteOnTermination: truthy(b.delete_on_termination),
    });
  }
  const roots = volumes.filter((v) => v.bootIndex === 0);
  if (roots.length > 1) {
    throw badRequest(
      'compute.invalid_bdm',
      'Block Device Mapping is Invalid: Boot sequence for the instance is invalid.',
    );
  }
  const rootIsVolume = roots.length === 1;
  return {
    imageRef: rootIsVolume ? '' : imageRef,
    volumes,
    rootIsVolume,
    volumeImages: volumes.filter((v) => v.source === 'image').map((v) => v.uuid ?? ''),
  };
}
