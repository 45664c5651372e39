/**
 * Cinder's `os-volume_upload_image`: a Glance image holding the volume's bytes. The image is created and filled
 * through this site's own Glance API with the caller's token (so Glance's rules — quotas, visibility, checksums —
 * apply as for any upload); the volume is `uploading` meanwhile and returns to its previous status after.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BrumeError, badRequest } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import type { VolumeContext } from './context.ts';
import { DEFAULT_TYPE, invalidVolume, isoMicro, parseBool, type VolumeRow } from './model.ts';

const run = promisify(execFile);
const DISK_FORMATS = new Set(['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx']);

/** Starts the upload; answers Cinder's 202 body. */
export async function uploadVolumeToImage(
  ctx: VolumeContext,
  row: VolumeRow,
  arg: Record<string, unknown>,
  auth: AuthContext,
): Promise<{ status: 202; body: Record<string, unknown> }> {
  const name = arg.image_name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw badRequest('volume.invalid_body', 'Invalid input for field/attribute image_name. It is required.');
  }
  const force = parseBool(arg.force) ?? false;
  if (!(row.status === 'available' || (force && row.status === 'in-use'))) {
    throw invalidVolume(`Volume status must be available or in-use (with force), but it is ${row.status}.`);
  }
  const diskFormat = typeof arg.disk_format === 'string' ? arg.disk_format : 'raw';
  if (!DISK_FORMATS.has(diskFormat)) {
    throw badRequest('volume.invalid_disk_format', `Invalid disk-format '${diskFormat}' specified.`);
  }
  const containerFormat = typeof arg.container_format === 'string' ? arg.container_format : 'bare';
  const visibility = typeof arg.visibility === 'string' ? arg.visibility : 'private';
  const isProtected = parseBool(arg.protected) ?? false;
  const images = ctx.image.fileUrl('IMAGE').replace(/\/IMAGE\/file$/, '');
  const headers = { 'x-auth-token': auth.token, 'content-type': 'application/json' };
  const created = await fetch(images, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name,
      disk_format: diskFormat,
      container_format: containerFormat,
      visibility,
      protected: isProtected,
    }),
  });
  const image = (await created.json().catch(() => ({}))) as { id?: string; message?: string };
  if (!created.ok || !image.id) {
    const kind = created.status === 403 ? 'forbidden' : created.status === 413 ? 'over_quota' : 'bad_request';
    throw new BrumeError(kind, 'volume.image_create_failed', `Glance refused the image: ${created.status}`);
  }
  const imageId = image.id;
  const previous = row.status;
  await ctx.volumes.patch(row.id, { status: 'uploading' });
  ctx.volumes.background(
    'volume upload',
    row.id,
    async () => {
      if (!row.path) throw new Error('the volume has no bytes on this site');
      const target = { url: `${images}/${imageId}/file`, token: auth.token, diskFormat };
      // A volume on an agent host: that host converts and sends its bytes (they never cross the bus).
      if (await ctx.backend?.upload?.(row.path, target)) {
        await ctx.volumes.patch(row.id, { status: previous });
        return;
      }
      await stat(row.path);
      const dir = await mkdtemp(join(tmpdir(), 'brume-upload-'));
      try {
        let file = row.path;
        const sourceFormat = row.path.endsWith('.qcow2') ? 'qcow2' : 'raw';
        if (diskFormat !== 'raw' || sourceFormat !== 'raw') {
          file = join(dir, 'image');
          await run('qemu-img', ['convert', '-q', '-O', diskFormat === 'vhd' ? 'vpc' : diskFormat, row.path, file]);
        }
        const put = await fetch(`${images}/${imageId}/file`, {
          method: 'PUT',
          headers: { 'x-auth-token': auth.token, 'content-type': 'application/octet-stream' },
          // Large chunks: a 1 GiB volume is 16k chunks, not 16k x 16 (the default 64 KiB).
          body: Readable.toWeb(createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        if (!put.ok) throw new Error(`Glance refused the bytes: ${put.status} ${await put.text()}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await ctx.volumes.patch(row.id, { status: previous });
    },
    () => ctx.volumes.patch(row.id, { status: previous }),
  );
  return {
    status: 202,
    body: {
      'os-volume_upload_image': {
        id: row.id,
        updated_at: isoMicro(ctx.deps.clock.now()),
        status: 'uploading',
        display_description: row.description,
        size: row.sizeGiB,
        volume_type: { id: DEFAULT_TYPE.id, name: DEFAULT_TYPE.name },
        image_id: imageId,
        container_format: containerFormat,
        disk_format: diskFormat,
        image_name: name,
        protected: isProtected,
        visibility,
      },
    },
  };
}
