/**
 * Fetching an image's bytes from a site that holds them (its `locations`), when they are needed here: a download,
 * which is also how an agent of this site gets the image of a server it spawns. The bytes go to a temporary file
 * `<id>.fetch` (kept across failures so the next attempt resumes with a Range request), are verified against the
 * image's size and sha512 (`os_hash_value`), renamed into place, and this site is added to `locations`.
 * Concurrent fetches of one image share a single transfer.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BrumeError } from '../../shared/errors.ts';
import type { Image } from '../../shared/schemas/catalog/index.ts';
import type { SiteDeps } from '../services.ts';
import type { ImageStore } from './store.ts';

/** Header a site sets when fetching from a peer: the peer must answer from its own disk, never fetch in turn. */
export const NO_RELAY_HEADER = 'x-brume-image-no-relay';

/** Attempts at one holder whose transfers are cut mid-body (each resumes where the last one stopped). */
const MAX_ATTEMPTS_PER_PEER = 5;

/** Fetches image bytes from peers. */
export interface ImageFetcher {
  /** Makes the bytes of `image` present at this site, fetching them with `token`; throws 503 when none can. */
  ensureLocal(image: Image, token: string): Promise<void>;
}

type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** Why one attempt failed: `retry` tells whether it is worth retrying the same holder (cut mid-body). */
class AttemptError extends Error {
  readonly retry: boolean;
  constructor(message: string, retry: boolean) {
    super(message);
    this.retry = retry;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string): Promise<{ sha512: string; md5: string }> {
  const sha = createHash('sha512');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha512: sha.digest('hex'), md5: md5.digest('hex') };
}

/** Builds the fetcher over the catalog's `sites` (peer URLs) and this site's store. */
export function imageFetcher(deps: SiteDeps, store: ImageStore, fetchFn: FetchFn = fetch): ImageFetcher {
  const { catalog, log } = deps;
  const self = deps.config.site;
  const inFlight = new Map<string, Promise<void>>();

  /** One GET from `base`, appended to `temp` from its current size; resolves when the body ended. */
  async function attempt(base: string, image: Image, token: string, temp: string): Promise<void> {
    let offset = await sizeOf(temp);
    const total = image.size ?? 0;
    if (offset > total) {
      await rm(temp, { force: true });
      offset = 0;
    }
    if (offset === total && total > 0) return;
    const headers: Record<string, string> = { 'X-Auth-Token': token, [NO_RELAY_HEADER]: '1' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let res: Response;
    try {
      res = await fetchFn(`${base.replace(/\/+$/, '')}/image/v2/images/${image.id}/file`, { headers });
    } catch (err) {
      throw new AttemptError(`unreachable: ${(err as Error).message}`, false);
    }
    if (res.status === 200) offset = 0;
    else if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/\d+$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== offset) {
        await res.body?.cancel();
        throw new AttemptError('bad Content-Range', false);
      }
    } else {
      await res.body?.cancel();
      throw new AttemptError(`answered ${res.status}`, false);
    }
    const fh = await open(temp, offset === 0 ? 'w' : 'a');
    let got = 0;
    try {
      if (!res.body) return;
      const reader = res.body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw new AttemptError(`interrupted after ${got} bytes: ${(err as Error).message}`, true);
        }
        if (chunk.done) break;
        got += chunk.value.byteLength;
        if (offset + got > total) {
          await reader.cancel().catch(() => {});
          throw new AttemptError('more bytes than the image size', false);
        }
        await fh.write(chunk.value);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Fetches from `base` (resuming cut transfers) and verifies; the temp file is whole on success. */
  async function fromPeer(base: string, image: Image, token: string, temp: string): Promise<string> {
    for (let i = 1; ; i++) {
      try {
        await attempt(base, image, token, temp);
        break;
      } catch (err) {
        if (!(err instanceof AttemptError) || !err.retry || i >= MAX_ATTEMPTS_PER_PEER) throw err;
        log.info({ image: image.id, peer: base, err: err.message }, 'image fetch interrupted, resuming');
      }
    }
    const size = await sizeOf(temp);
    const { sha512, md5 } = await hashFile(temp);
    if (size !== image.size || sha512 !== image.os_hash_value) {
      await rm(temp, { force: true });
      throw new AttemptError(`verification failed (size ${size}, expected ${image.size})`, false);
    }
    return md5;
  }

  async function run(image: Image, token: string): Promise<void> {
    const temp = `${store.pathOf(image.id)}.fetch`;
    await mkdir(dirname(temp), { recursive: true });
    const holders = image.locations.filter((s) => s !== self);
    for (const siteId of holders) {
      const url = catalog.get('sites', siteId)?.url;
      if (!url) continue;
      try {
        const md5 = await fromPeer(url, image, token, temp);
        await store.adopt(image.id, temp, image.size ?? 0, md5);
        const current = catalog.get('images', image.id);
        if (current && !current.locations.includes(self)) {
          await catalog.put('images', { ...current, locations: [...current.locations, self] });
        }
        log.info({ image: image.id, from: siteId, size: image.size }, 'image fetched from peer');
        return;
      } catch (err) {
        log.warn({ image: image.id, from: siteId, err: (err as Error).message }, 'image fetch from peer failed');
      }
    }
    throw new BrumeError(
      'unavailable',
      'image.data_unreachable',
      `The data of image ${image.id} could not be fetched from any site holding it (${holders.join(', ') || 'none'}).`,
    );
  }

  return {
    ensureLocal(image, token) {
      let p = inFlight.get(image.id);
      if (!p) {
        p = run(image, token).finally(() => inFlight.delete(image.id));
        inFlight.set(image.id, p);
      }
      return p;
    },
  };
}
