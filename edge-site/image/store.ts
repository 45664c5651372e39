/**
 * The site's image file store: bytes under `<dataDir>/images/<id>`, written to a temporary file while hashing and
 * renamed into place only when complete, so a reader never sees a partial image. Site-local bookkeeping lives in
 * the `image_files` / `image_uploads` tables.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { BrumeError, badRequest, isBrumeError } from '../../shared/errors.ts';
import { toHex } from '../../shared/ports/ids.ts';
import { imageFiles, imageUploads } from '../db/schema/image.ts';
import type { SiteDeps } from '../services.ts';

const HEAD_BYTES = 64;

/** What an upload produced. */
export interface StoredFile {
  size: number;
  /** md5 hex (Glance's `checksum`). */
  checksum: string;
  /** sha512 hex (Glance's `os_hash_value`). */
  hash: string;
  /** The first bytes of the file (format sniffing). */
  head: Uint8Array;
}

/** A byte range of a stored file, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/** The image file store of one site. */
export interface ImageStore {
  /** Where the image's bytes are (whether or not they exist). */
  pathOf(imageId: string): string;
  /** True when this site holds the image's bytes. */
  has(imageId: string): Promise<boolean>;
  /**
   * Streams `body` to a temporary file, hashing as it goes, and renames it into place. On any failure (body
   * aborted, over `maxBytes`, disk full) the temporary file is removed and a BrumeError is thrown.
   */
  receive(imageId: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<StoredFile>;
  /** Moves a complete, verified file fetched from a peer into place (origin `fetched`). */
  adopt(imageId: string, tempPath: string, size: number, checksum: string): Promise<void>;
  /** A stream of the file (or of `range`). */
  read(imageId: string, range?: ByteRange): ReadableStream<Uint8Array>;
  /** Removes the file and its bookkeeping. Idempotent. */
  remove(imageId: string): Promise<void>;
  /** Cleans up uploads cut short by a crash; returns the ids of the images concerned. */
  recover(): Promise<string[]>;
}

/** Builds the store over `deps.config.dataDir` and the site database. */
export function createImageStore(deps: SiteDeps): ImageStore {
  const dir = join(deps.config.dataDir, 'images');
  const { db } = deps.db;
  const pathOf = (id: string) => join(dir, id);

  async function write(tempPath: string, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<StoredFile> {
    const md5 = createHash('md5');
    const sha = createHash('sha512');
    let size = 0;
    const head = new Uint8Array(HEAD_BYTES);
    const fh = await open(tempPath, 'w');
    try {
      const reader = body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          throw badRequest('image.upload_interrupted', 'The image data upload was interrupted.', { cause });
        }
        if (chunk.done) break;
        size += chunk.value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new BrumeError('too_large', 'image.too_large', `Image exceeds the storage limit of ${maxBytes} bytes.`);
        }
        if (size - chunk.value.byteLength < HEAD_BYTES) {
          head.set(
            chunk.value.subarray(0, HEAD_BYTES - (size - chunk.value.byteLength)),
            size - chunk.value.byteLength,
          );
        }
        md5.update(chunk.value);
        sha.update(chunk.value);
        await fh.write(chunk.value);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    return {
      size,
      checksum: md5.digest('hex'),
      hash: sha.digest('hex'),
      head: head.subarray(0, Math.min(size, HEAD_BYTES)),
    };
  }

  return {
    pathOf,
    async has(id) {
      try {
        return (await stat(pathOf(id))).isFile();
      } catch {
        return false;
      }
    },
    async receive(id, body, maxBytes) {
      await mkdir(dir, { recursive: true });
      const tempPath = join(dir, `${id}.part-${toHex(deps.ids.bytes(6))}`);
      const now = deps.clock.now();
      await db
        .insert(imageUploads)
        .values({ imageId: id, tempPath, startedAt: now })
        .onConflictDoUpdate({
          target: imageUploads.imageId,
          set: { tempPath, startedAt: now },
        });
      try {
        const file = await write(tempPath, body, maxBytes);
        await rename(tempPath, pathOf(id));
        const row = { path: pathOf(id), size: file.size, checksum: file.checksum, storedAt: now, lastUsedAt: now };
        await db
          .insert(imageFiles)
          .values({ imageId: id, origin: 'upload', ...row })
          .onConflictDoUpdate({ target: imageFiles.imageId, set: { origin: 'upload', ...row } });
        return file;
      } catch (err) {
        await rm(tempPath, { force: true });
        if (isBrumeError(err)) throw err;
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
          throw new BrumeError('too_large', 'image.store_full', 'Image storage media is full.', { cause: err });
        }
        throw err;
      } finally {
        await db.delete(imageUploads).where(eq(imageUploads.imageId, id));
      }
    },
    async adopt(id, tempPath, size, checksum) {
      await rename(tempPath, pathOf(id));
      const now = deps.clock.now();
      const row = { path: pathOf(id), size, checksum, storedAt: now, lastUsedAt: now };
      await db
        .insert(imageFiles)
        .values({ imageId: id, origin: 'fetched', ...row })
        .onConflictDoUpdate({ target: imageFiles.imageId, set: { origin: 'fetched', ...row } });
    },
    read(id, range) {
      const stream = createReadStream(pathOf(id), range ? { start: range.start, end: range.end } : {});
      return Readable.toWeb(stream) as ReadableStream<Uint8Array>;
    },
    async remove(id) {
      await rm(pathOf(id), { force: true });
      await rm(`${pathOf(id)}.fetch`, { force: true });
      await db.delete(imageFiles).where(eq(imageFiles.imageId, id));
    },
    async recover() {
      const rows = await db.select().from(imageUploads);
      for (const row of rows) {
        await rm(row.tempPath, { force: true });
        await db.delete(imageUploads).where(eq(imageUploads.imageId, row.imageId));
      }
      return rows.map((r) => r.imageId);
    },
  };
}
