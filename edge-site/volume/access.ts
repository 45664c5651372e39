/**
 * How a server's host opens a volume: the file itself when the volume lives on that host (or in the site's folder,
 * the single-machine layout), else an NBD export by the volume's host for that server's host (`volume_export`:
 * one qemu-nbd per attached volume, TLS-PSK bound to the attaching host), stopped on detach (`volume_unexport`).
 * Request ids derive from the attachment, so a resend never makes a second export and a re-attach makes a new one.
 */
import type { VolumeAttachSpec, VolumeNbdExport } from '../../shared/schemas/agent-protocol.ts';
import type { Fleet } from '../services.ts';
import { formatOf, parseHandle } from './handles.ts';

/** What a disk spec is made from. */
export interface DiskRequest {
  /** The server's host. */
  host: string;
  volumeId: string;
  /** The volume's handle (row path). */
  handle: string;
  attachmentId: string;
  readOnly?: boolean;
}

/** The volume-access operations. */
export interface VolumeAccess {
  /** The disk as the server's host attaches it (exporting it from the volume's host when that is another one). */
  diskFor(req: DiskRequest): Promise<VolumeAttachSpec>;
  /** Stops the export made for that attachment (nothing when the volume is local to the server's host). */
  release(req: Omit<DiskRequest, 'readOnly'>): Promise<void>;
}

/** Builds the access over the fleet; `legacyFormat` is the site-folder backend's file format. */
export function volumeAccess(fleet: Fleet | undefined, legacyFormat: 'raw' | 'qcow2'): VolumeAccess {
  return {
    async diskFor(req) {
      const base = {
        volumeId: req.volumeId,
        serial: req.volumeId.slice(0, 20),
        ...(req.readOnly ? { readOnly: true } : {}),
      };
      const loc = parseHandle(req.handle);
      if (!loc) return { ...base, path: req.handle, format: legacyFormat };
      if (loc.host === req.host || !fleet || !req.host) return { ...base, path: loc.path, format: formatOf(loc.path) };
      const nbd = await fleet.send<VolumeNbdExport>(
        loc.host,
        { op: 'volume_export', name: loc.name, client: req.host, ...(req.readOnly ? { readOnly: true } : {}) },
        { requestId: `volume_export:${loc.name}:${req.attachmentId}`, timeoutMs: 60_000 },
      );
      // qemu-nbd serves the guest-visible bytes (it reads the file's format): the client layer is raw.
      return { ...base, path: `nbd://${nbd.host}:${nbd.port}/${nbd.export}`, format: 'raw', nbd };
    },
    async release(req) {
      const loc = parseHandle(req.handle);
      if (!loc || loc.host === req.host || !fleet || !req.host) return;
      await fleet.send(
        loc.host,
        { op: 'volume_unexport', name: loc.name, client: req.host },
        { requestId: `volume_unexport:${loc.name}:${req.attachmentId}`, timeoutMs: 60_000 },
      );
    },
  };
}
