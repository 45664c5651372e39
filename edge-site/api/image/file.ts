/** /v2/images/{id}/file: streamed upload (PUT) and download (GET, with single byte ranges). */
import { Hono } from 'hono';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import { NO_RELAY_HEADER } from '../../image/remote.ts';
import type { AppEnv } from '../env.ts';
import type { ImageApiDeps } from './index.ts';

function declaredSize(header: string | undefined, name: string): number | null {
  if (header === undefined) return null;
  if (!/^\d+$/.test(header.trim())) {
    throw badRequest('image.bad_size', `Invalid or missing image size in request headers (${name}).`);
  }
  return Number(header.trim());
}

/** Image data routes. */
export function fileRoutes(d: ImageApiDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.put('/:id/file', async (c) => {
    const mime = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (mime !== 'application/octet-stream') {
      throw new BrumeError(
        'unsupported_media_type',
        'image.upload_media_type',
        `Content-Type must be application/octet-stream, not '${mime ?? ''}'.`,
      );
    }
    const explicit = declaredSize(c.req.header('x-openstack-image-size'), 'x-openstack-image-size');
    const length = declaredSize(c.req.header('content-length'), 'Content-Length');
    await d.data.upload(c.var.auth, c.req.param('id'), c.req.raw.body, explicit ?? length);
    return c.body(null, 204);
  });

  app.get('/:id/file', async (c) => {
    const noRelay = c.req.header(NO_RELAY_HEADER) !== undefined;
    const r = await d.data.download(c.var.auth, c.req.param('id'), c.req.header('range'), { noRelay });
    if (r.status === 204) return c.body(null, 204);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(r.length),
      'Accept-Ranges': 'bytes',
    };
    if (r.checksum) headers['Content-MD5'] = r.checksum;
    if (r.range) headers['Content-Range'] = `bytes ${r.range.start}-${r.range.end}/${r.range.total}`;
    return c.body(r.body, r.status, headers);
  });

  return app;
}
