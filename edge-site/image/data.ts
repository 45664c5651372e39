/**
 * Image data: upload (PUT …/file) and download (GET …/file). Status goes queued -> saving -> active; a failed
 * upload puts the image back to queued and leaves no file behind.
 */
import { BrumeError, badRequest, conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import type { SiteDeps } from '../services.ts';
import { modifiableImage, visibleImage } from './access.ts';
import { HASH_ALGO } from './constants.ts';
import type { ImageFetcher } from './remote.ts';
import type { ByteRange, ImageStore } from './store.ts';

/** What a download returns: no data (204), all of it (200) or a range (206). */
export type Download =
  | { status: 204 }
  | {
      status: 200 | 206;
      body: ReadableStream<Uint8Array>;
      length: number;
      checksum: string | null;
      range?: { start: number; end: number; total: number };
    };

/** Image data operations. */
export interface ImageData {
  upload(
    auth: AuthContext,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    declaredSize: number | null,
  ): Promise<Image>;
  /**
   * Bytes held only elsewhere are first fetched from a holding site, unless `noRelay` (a peer site asking: it
   * gets 503 `image.data_remote` rather than a chain of fetches).
   */
  download(
    auth: AuthContext,
    id: string,
    rangeHeader: string | undefined,
    opts?: { noRelay?: boolean },
  ): Promise<Download>;
}

/** Virtual (guest-visible) size: the qcow2 header's size field, the file size for raw and iso, else unknown. */
export function virtualSize(image: Image, size: number, head: Uint8Array): number | null {
  if (head.length >= 32 && head[0] === 0x51 && head[1] === 0x46 && head[2] === 0x49 && head[3] === 0xfb) {
    const v = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(24);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null;
  }
  return image.disk_format === 'raw' || image.disk_format === 'iso' ? size : null;
}

/**
 * Parses a single `bytes=` range against `size` (RFC 9110). Anything it cannot satisfy — several ranges, bad
 * syntax, out of bounds — is ignored and the whole file is served, which the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header || size === 0) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return undefined;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return undefined;
  return { start, end };
}

/** Builds the data operations. */
export function imageData(deps: SiteDeps, store: ImageStore, maxBytes: number, fetcher?: ImageFetcher): ImageData {
  const { catalog, clock } = deps;

  async function restoreQueued(id: string): Promise<void> {
    const current = catalog.get('images', id);
    if (current?.status === 'saving') {
      await catalog.put('images', {
        ...current,
        status: 'queued',
        size: null,
        virtual_size: null,
        updated_at: clock.now(),
      });
    }
  }

  return {
    async upload(auth, id, body, declaredSize) {
      const image = modifiableImage(catalog, auth, id, 'upload image data for');
      if (image.status !== 'queued') {
        throw conflict('image.bad_status', `Image status transition from ${image.status} to saving is not allowed`);
      }
      const missing = (['disk_format', 'container_format'] as const).filter((k) => !image[k]);
      if (missing.length > 0) {
        const noun = missing.length === 1 ? 'Property' : 'Properties';
        throw badRequest('image.formats_missing', `${noun} ${missing.join(', ')} must be set prior to saving data.`);
      }
      if (declaredSize !== null && declaredSize > maxBytes) {
        throw new BrumeError('too_large', 'image.too_large', `Image exceeds the storage limit of ${maxBytes} bytes.`);
      }
      await catalog.put('images', { ...image, status: 'saving', updated_at: clock.now() });
      deps.log.info({ image: id }, 'image upload started');
      let file: Awaited<ReturnType<ImageStore['receive']>>;
      try {
        file = await store.receive(id, body ?? new ReadableStream({ start: (c) => c.close() }), maxBytes);
      } catch (err) {
        await restoreQueued(id);
        deps.log.warn({ image: id, err }, 'image upload failed');
        throw err;
      }
      const current = catalog.get('images', id);
      if (!current) {
        await store.remove(id);
        throw notFound(
          'image.deleted_during_upload',
          `Image ${id} could not be found after upload. The image may have been deleted during the upload.`,
        );
      }
      if (declaredSize !== null && declaredSize !== file.size) {
        await store.remove(id);
        await restoreQueued(id);
        throw badRequest(
          'image.size_mismatch',
          `Image size ${file.size} does not match the declared size ${declaredSize}.`,
        );
      }
      const site = deps.config.site;
      const next: Image = {
        ...current,
        status: 'active',
        size: file.size,
        virtual_size: virtualSize(current, file.size, file.head),
        checksum: file.checksum,
        os_hash_algo: HASH_ALGO,
        os_hash_value: file.hash,
        locations: current.locations.includes(site) ? [...current.locations] : [...current.locations, site],
        updated_at: clock.now(),
      };
      await catalog.put('images', next);
      deps.log.info({ image: id, size: file.size }, 'image uploaded');
      return next;
    },

    async download(auth, id, rangeHeader, opts = {}) {
      const image = visibleImage(catalog, auth, id);
      if (image.status === 'deactivated' && !isAdmin(auth)) {
        throw forbidden(
          'image.deactivated',
          'The requested image has been deactivated. Image data download is forbidden.',
        );
      }
      if ((image.status !== 'active' && image.status !== 'deactivated') || image.size === null) return { status: 204 };
      if (!(await store.has(id))) {
        if (image.locations.some((s) => s !== deps.config.site)) {
          if (fetcher && !opts.noRelay) await fetcher.ensureLocal(image, auth.token);
          else
            throw new BrumeError(
              'unavailable',
              'image.data_remote',
              `The data of image ${id} is held at ${image.locations.join(', ')}, not at this site.`,
            );
        } else return { status: 204 };
      }
      const range = parseRange(rangeHeader, image.size);
      if (range) {
        return {
          status: 206,
          body: store.read(id, range),
          length: range.end - range.start + 1,
          checksum: image.checksum,
          range: { ...range, total: image.size },
        };
      }
      return { status: 200, body: store.read(id), length: image.size, checksum: image.checksum };
    },
  };
}
