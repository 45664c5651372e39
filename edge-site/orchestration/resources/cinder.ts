/** OS::Cinder::Volume and OS::Cinder::VolumeAttachment over the site's Cinder and Nova APIs. */
import { isNotFound } from '../cloud.ts';
import {
  deleteIgnoringNotFound,
  findId,
  gone,
  physicalName,
  type ResourceContext,
  type ResourceType,
} from './types.ts';

interface CinderVolume {
  id: string;
  status: string;
  [k: string]: unknown;
}

async function getVolume(ctx: ResourceContext, id: string): Promise<CinderVolume> {
  return (await ctx.cloud.call<{ volume: CinderVolume }>('volume', 'GET', `/volumes/${id}`)).volume;
}

async function waitVolume(ctx: ResourceContext, id: string, wanted: string): Promise<void> {
  await ctx.waitFor(`volume to become ${wanted}`, async () => {
    const v = await getVolume(ctx, id);
    if (v.status === 'error' || v.status.startsWith('error_'))
      throw new Error(`Went to status ${v.status} due to "Unknown"`);
    return v.status === wanted;
  });
}

export const cinderVolume: ResourceType = {
  description: 'A Cinder volume.',
  properties: {
    size: { type: 'integer', description: 'Size in GiB.' },
    name: { type: 'string', update_allowed: true },
    description: { type: 'string', update_allowed: true },
    image: { type: 'string', description: 'Image to create the volume from.' },
    volume_type: { type: 'string' },
    metadata: { type: 'map', update_allowed: true },
    availability_zone: { type: 'string' },
    source_volid: { type: 'string' },
    snapshot_id: { type: 'string' },
    multiattach: { type: 'boolean' },
  },
  attributes: {
    size: 'Size in GiB.',
    status: 'Status.',
    display_name: 'Name.',
    display_description: 'Description.',
    volume_type: 'Type.',
    metadata: 'Metadata (JSON).',
    metadata_values: 'Metadata.',
    bootable: 'Whether bootable.',
    created_at: 'Creation time.',
    attachments: 'Attachments.',
    show: 'The whole volume.',
  },
  async create(ctx, p) {
    const volume: Record<string, unknown> = { name: p.name ?? physicalName(ctx) };
    for (const k of [
      'size',
      'description',
      'volume_type',
      'metadata',
      'availability_zone',
      'source_volid',
      'snapshot_id',
      'multiattach',
    ]) {
      if (p[k] !== undefined) volume[k] = p[k];
    }
    if (p.image) volume.imageRef = await findId(ctx.cloud, 'image', 'images', 'image', String(p.image));
    const r = await ctx.cloud.call<{ volume: { id: string } }>('volume', 'POST', '/volumes', { volume });
    return r.volume.id;
  },
  async checkCreate(ctx, id) {
    await waitVolume(ctx, id, 'available');
  },
  async update(ctx, id, p, changed) {
    const volume: Record<string, unknown> = {};
    if (changed.includes('name')) volume.name = p.name ?? physicalName(ctx);
    if (changed.includes('description')) volume.description = p.description ?? '';
    if (changed.includes('metadata')) volume.metadata = p.metadata ?? {};
    await ctx.cloud.call('volume', 'PUT', `/volumes/${id}`, { volume });
  },
  async delete(ctx, id) {
    await deleteIgnoringNotFound(ctx, 'volume', `/volumes/${id}`);
    await ctx.waitFor('volume to be deleted', () => gone(ctx, 'volume', `/volumes/${id}`));
  },
  async attribute(ctx, id, name) {
    let v: CinderVolume;
    try {
      v = await getVolume(ctx, id);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    if (name === 'show') return v;
    if (name === 'display_name') return v.name;
    if (name === 'display_description') return v.description;
    if (name === 'metadata') return JSON.stringify(v.metadata ?? {});
    if (name === 'metadata_values') return v.metadata ?? {};
    return v[name] ?? null;
  },
};

export const cinderVolumeAttachment: ResourceType = {
  description: 'Attaches a volume to a server.',
  properties: {
    instance_uuid: { type: 'string', required: true },
    volume_id: { type: 'string', required: true },
    mountpoint: { type: 'string' },
  },
  attributes: {},
  async create(ctx, p) {
    const body = { volumeAttachment: { volumeId: p.volume_id, ...(p.mountpoint ? { device: p.mountpoint } : {}) } };
    const r = await ctx.cloud.call<{ volumeAttachment: { id: string } }>(
      'compute',
      'POST',
      `/servers/${p.instance_uuid}/os-volume_attachments`,
      body,
    );
    ctx.data.server = p.instance_uuid;
    ctx.data.volume = p.volume_id;
    return r.volumeAttachment.id;
  },
  async checkCreate(ctx) {
    await waitVolume(ctx, String(ctx.data.volume), 'in-use');
  },
  async delete(ctx) {
    const server = String(ctx.data.server ?? '');
    const volume = String(ctx.data.volume ?? '');
    if (!server || !volume) return;
    await deleteIgnoringNotFound(ctx, 'compute', `/servers/${server}/os-volume_attachments/${volume}`);
    await ctx.waitFor('volume to be detached', async () => {
      try {
        const v = await getVolume(ctx, volume);
        return v.status !== 'in-use' && v.status !== 'detaching';
      } catch (err) {
        if (isNotFound(err)) return true;
        throw err;
      }
    });
  },
  attribute: async () => null,
};
