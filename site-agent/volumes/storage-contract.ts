/**
 * The contract every {@link VolumeStorage} passes (memory for the fake driver, files for qemu hosts): the `volume_*`
 * commands' semantics — idempotent create, copies from the host's volumes and snapshots, images, extend never
 * shrinking, delete of a missing name succeeding, exports per attaching host, uploads into Glance.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VolumeStorage } from '../../shared/ports/hypervisor.ts';
import type { VolumeCreateSource } from '../../shared/schemas/agent-protocol.ts';

/** Builds a fresh storage per test and cleans it up. */
export interface StorageHarness {
  make(): Promise<VolumeStorage>;
  cleanup?(): Promise<void>;
  /** An image source the storage can fetch (a `file:` URL). */
  image(): Promise<Extract<VolumeCreateSource, { kind: 'image' }>>;
  /** Whether `bytes` is what it uploads for an empty 1 GiB volume as qcow2 (memory: nothing). */
  uploaded(bytes: number): boolean;
}

/** A tiny Glance stand-in recording PUTs. */
async function glanceStub() {
  const puts: Array<{ url: string; token: string; bytes: number }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    req.on('end', () => {
      puts.push({ url: req.url ?? '', token: String(req.headers['x-auth-token'] ?? ''), bytes });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    puts,
    url: (id: string) => `http://127.0.0.1:${port}/v2/images/${id}/file`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Registers the contract suite for one storage. */
export function runVolumeStorageContract(name: string, harness: StorageHarness): void {
  describe(`VolumeStorage contract: ${name}`, () => {
    let s: VolumeStorage;
    beforeEach(async () => {
      s = await harness.make();
    });
    afterEach(async () => {
      await s.close();
      await harness.cleanup?.();
    });

    it('reports its capacity and creates volumes idempotently', async () => {
      const cap = await s.capacity();
      expect(cap.freeGiB).toBeGreaterThan(0);
      expect(cap.totalGiB).toBeGreaterThanOrEqual(cap.freeGiB);
      expect(cap.address).toBe('127.0.0.1');
      const a = await s.create('volume-a', 1);
      expect(a).toMatchObject({ format: 'raw', sizeGiB: 1 });
      expect(await s.create('volume-a', 1)).toEqual(a);
    });

    it('copies a volume into a snapshot and a snapshot into a volume; a missing source is not_found', async () => {
      await s.create('volume-a', 1);
      const snap = await s.create('snapshot-s', 0, { kind: 'local', name: 'volume-a' });
      expect(snap.path).not.toBe((await s.create('volume-a', 1)).path);
      expect(await s.create('volume-b', 2, { kind: 'local', name: 'snapshot-s' })).toMatchObject({ sizeGiB: 2 });
      await expect(s.create('volume-c', 1, { kind: 'local', name: 'volume-missing' })).rejects.toMatchObject({
        kind: 'not_found',
      });
      // Nothing is left behind by the failed create: the name is free.
      await expect(s.extend('volume-c', 2)).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('creates a volume from an image', async () => {
      const made = await s.create('volume-i', 1, await harness.image());
      expect(made.sizeGiB).toBe(1);
    });

    it('extends, never shrinks; deletes, and a missing name deletes fine', async () => {
      await s.create('volume-a', 1);
      await s.extend('volume-a', 3);
      await s.extend('volume-a', 2);
      await s.delete('volume-a');
      await s.delete('volume-a');
      await expect(s.extend('volume-a', 4)).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('rejects names that are not volume or snapshot names', async () => {
      await expect(s.create('../etc', 1)).rejects.toMatchObject({ kind: 'bad_request' });
      await expect(s.delete('volume-a/../../x')).rejects.toMatchObject({ kind: 'bad_request' });
    });

    it('exports a volume once per attaching host, and stops the export', async () => {
      await s.create('volume-a', 1);
      const e = await s.export('volume-a', 'hostB', false);
      expect(e).toMatchObject({ host: '127.0.0.1', pskIdentity: 'hostB' });
      expect(e.pskKey).toMatch(/^[0-9a-f]{64}$/);
      expect(await s.export('volume-a', 'hostB', false)).toEqual(e);
      await s.unexport('volume-a', 'hostB');
      await s.unexport('volume-a', 'hostB');
      await expect(s.export('volume-x', 'hostB', false)).rejects.toMatchObject({ kind: 'not_found' });
      await s.export('volume-a', 'hostC', true);
      await s.delete('volume-a');
    });

    it('uploads its bytes into a Glance image with the given token', async () => {
      const glance = await glanceStub();
      try {
        await s.create('volume-a', 1);
        await s.upload('volume-a', { url: glance.url('img1'), token: 'tok', diskFormat: 'qcow2' });
        expect(glance.puts).toMatchObject([{ url: '/v2/images/img1/file', token: 'tok' }]);
        expect(harness.uploaded(glance.puts[0]?.bytes ?? -1)).toBe(true);
        await expect(
          s.upload('volume-missing', { url: glance.url('img2'), token: 'tok', diskFormat: 'raw' }),
        ).rejects.toMatchObject({ kind: 'not_found' });
      } finally {
        await glance.close();
      }
    });
  });
}
