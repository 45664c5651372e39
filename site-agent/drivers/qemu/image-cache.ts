import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { BrumeError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import type { InstanceSpec } from '../../../shared/schemas/agent-protocol.ts';

/** The image part of an {@link InstanceSpec}. */
export type ImageRef = NonNullable<InstanceSpec['image']>;

/** Turns an image reference into a local file holding its bytes. */
export interface ImageCache {
  fetch(image: ImageRef): Promise<string>;
}

/** Options of {@link createImageCache}. */
export interface ImageCacheOptions {
  /** Folder holding one file per image id. */
  dir: string;
  log: Logger;
  /**
   * Keystone token for the site's Glance (`X-Auth-Token`) when the spec carries none (`image.token`); called per
   * download so it can be refreshed.
   */
  authToken?: () => string | undefined | Promise<string | undefined>;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
}

const unavailable = (message: string, cause?: unknown) =>
  new BrumeError('unavailable', 'hypervisor.image_unavailable', message, cause === undefined ? {} : { cause });

/**
 * Downloads each image once (`http(s):` with the agent's token, or `file:` for tests and local seeding), verifies
 * its sha512 (Glance's os_hash_value) while streaming, and renames it into place: a file in the cache is complete.
 */
export function createImageCache(options: ImageCacheOptions): ImageCache {
  const inflight = new Map<string, Promise<string>>();
  const fetchImpl = options.fetchImpl ?? fetch;

  async function source(url: string, specToken: string | undefined): Promise<Readable> {
    if (url.startsWith('file:')) return createReadStream(fileURLToPath(url));
    // The spec's own token (minted by the site for this spawn) first, else the agent's configured one.
    const token = specToken ?? (await options.authToken?.());
    const response = await fetchImpl(url, { headers: token ? { 'X-Auth-Token': token } : {} });
    if (!response.ok || !response.body) throw unavailable(`GET ${url} answered ${response.status}`);
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  }

  async function download(image: ImageRef, path: string): Promise<string> {
    if (!image.url) throw unavailable(`image ${image.id} has no download URL`);
    await mkdir(options.dir, { recursive: true });
    const part = `${path}.${process.pid}.part`;
    const hash = createHash('sha512');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(await source(image.url, image.token), hasher, createWriteStream(part));
      const digest = hash.digest('hex');
      if (image.hash && image.hash.toLowerCase() !== digest) {
        throw new BrumeError('internal', 'hypervisor.image_corrupt', `image ${image.id}: sha512 mismatch`, {
          details: { expected: image.hash, actual: digest },
        });
      }
      await rename(part, path);
      options.log.info({ image: image.id }, 'image cached');
      return path;
    } catch (err) {
      await rm(part, { force: true });
      if (err instanceof BrumeError) throw err;
      throw unavailable(`image ${image.id}: download failed: ${(err as Error).message}`, err);
    }
  }

  return {
    async fetch(image) {
      if (!/^[A-Za-z0-9._-]{1,128}$/.test(image.id) || image.id.startsWith('.')) {
        throw new BrumeError('bad_request', 'hypervisor.invalid_spec', `invalid image id ${image.id}`);
      }
      const path = join(options.dir, image.id);
      if (
        await stat(path).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        return path;
      const running = inflight.get(image.id);
      if (running) return running;
      const promise = download(image, path).finally(() => inflight.delete(image.id));
      inflight.set(image.id, promise);
      return promise;
    },
  };
}
