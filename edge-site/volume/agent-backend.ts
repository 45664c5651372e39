/**
 * Volumes kept by the site's agent hosts (Cinder's volume service on storage hosts): each volume lives on one host,
 * chosen by placement.ts, as a file under that agent's data dir; create / delete / extend / snapshot / upload are
 * idempotent `volume_*` bus commands to that host (request ids derive from the volume, so a command resent after a
 * timeout or a site restart runs at most once, and the agent's durable request record survives its restart).
 * A copy wanted on another host than its source's (a boot volume from a snapshot, on the server's host) is read by
 * that host from an export of the source made for the copy. Handles are `brume-agent://` locations (handles.ts). When no host of the site reports volume storage (no agents,
 * older agents), and for volumes created in the site's folder before, the `local` backend does the work.
 */
import { BrumeError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import type { VolumeCreateSource, VolumeNbdExport } from '../../shared/schemas/agent-protocol.ts';
import type { Fleet } from '../services.ts';
import type { VolumeBackend } from './backend.ts';
import { type AgentLocation, agentHandle, parseHandle } from './handles.ts';
import { chooseVolumeHost } from './placement.ts';

/** How long a volume command may take on the host (an image download and conversion is the long one). */
const CREATE_TIMEOUT_MS = 15 * 60_000;
const COMMAND_TIMEOUT_MS = 2 * 60_000;

/** Options of {@link agentVolumeBackend}. */
export interface AgentVolumeBackendOptions {
  fleet: Fleet;
  /** The site-folder backend (no storage hosts; volumes created before). */
  local: VolumeBackend;
  /** GiB of volumes placed per host (the site's records), for the capacity weigher. */
  provisioned: () => Promise<Map<string, number>>;
  /**
   * Records where a volume goes before the host is told (its handle without a path yet), so a site restarted
   * mid-create resends the same command to the same host (volumes.ts recoverInterrupted).
   */
  placed?: (volumeId: string, handle: string) => Promise<void>;
  log: Logger;
}

const noHost = (sizeGiB: number) =>
  new BrumeError('unavailable', 'volume.no_valid_host', `No valid backend was found: no host can keep ${sizeGiB} GiB.`);

/** Builds the backend. */
export function agentVolumeBackend(options: AgentVolumeBackendOptions): VolumeBackend {
  const { fleet, local } = options;
  const storageHosts = () => fleet.hosts().filter((h) => h.inventory.volumeStorage !== undefined);
  const send = <R>(host: string, command: Parameters<Fleet['send']>[1], requestId: string, timeoutMs?: number) =>
    fleet.send<R>(host, command, { requestId, timeoutMs: timeoutMs ?? COMMAND_TIMEOUT_MS });

  const createOn = async (host: string, name: string, sizeGiB: number, source?: VolumeCreateSource) => {
    const r = await send<{ path: string }>(
      host,
      { op: 'volume_create', name, sizeGiB, ...(source ? { source } : {}) },
      `volume_create:${name}`,
      CREATE_TIMEOUT_MS,
    );
    return agentHandle({ host, name, path: r.path });
  };

  return {
    format: 'raw',
    async create(id, sizeGiB, from, placement) {
      const name = `volume-${id}`;
      const src = parseHandle(from?.path);
      const hosts = storageHosts();
      if (src) {
        // A copy of a volume or snapshot is made where the source lives, unless it is wanted on another host (a
        // boot volume on its server's host): then that host reads the source from an export made for the copy.
        const want = typeof placement === 'function' ? await placement() : placement;
        const target = hosts.find((h) => h.id === want?.prefer && h.state === 'up');
        if (!target || target.id === src.host) {
          return createOn(src.host, name, sizeGiB, { kind: 'local', name: src.name });
        }
        const client = `copy.${id}`;
        const nbd = await send<VolumeNbdExport>(
          src.host,
          { op: 'volume_export', name: src.name, client, readOnly: true },
          `volume_export:${src.name}:${client}`,
        );
        try {
          return await createOn(target.id, name, sizeGiB, { kind: 'remote', nbd });
        } finally {
          await send(
            src.host,
            { op: 'volume_unexport', name: src.name, client },
            `volume_unexport:${src.name}:${client}`,
          ).catch((err: unknown) => options.log.warn({ err, volume: id }, 'copy export not stopped'));
        }
      }
      // A site-folder source, or a site with no storage hosts: the site's own folder.
      if ((from && !from.image) || hosts.length === 0) return local.create(id, sizeGiB, from);
      const host = chooseVolumeHost(
        hosts.map((h) => ({
          id: h.id,
          up: h.state === 'up',
          ...(h.inventory.volumeStorage ? { storage: h.inventory.volumeStorage } : {}),
        })),
        await options.provisioned(),
        { sizeGiB, ...(typeof placement === 'function' ? await placement() : placement) },
      );
      if (!host) throw noHost(sizeGiB);
      options.log.info({ volume: id, host }, 'volume placed');
      await options.placed?.(id, agentHandle({ host, name, path: '' }));
      return createOn(host, name, sizeGiB, from?.image ? { kind: 'image', image: from.image } : undefined);
    },
    async delete(handle) {
      const loc = parseHandle(handle);
      if (!loc) return local.delete(handle);
      await send(loc.host, { op: 'volume_delete', name: loc.name }, `volume_delete:${loc.name}`);
    },
    async extend(handle, sizeGiB) {
      const loc = parseHandle(handle);
      if (!loc) return local.extend(handle, sizeGiB);
      await send(loc.host, { op: 'volume_extend', name: loc.name, sizeGiB }, `volume_extend:${loc.name}:${sizeGiB}`);
    },
    async snapshot(handle, snapshotId) {
      const loc = parseHandle(handle);
      if (!loc) return local.snapshot(handle, snapshotId);
      return createOn(loc.host, `snapshot-${snapshotId}`, 0, { kind: 'local', name: loc.name });
    },
    async relocate(handle, host, sizeGiB) {
      const loc = parseHandle(handle);
      const target = storageHosts().find((h) => h.id === host && h.state === 'up');
      if (!loc || !target) return null;
      if (loc.host === host) return handle;
      const client = `move.${loc.name}`;
      const nbd = await send<VolumeNbdExport>(
        loc.host,
        { op: 'volume_export', name: loc.name, client, readOnly: true },
        `volume_export:${loc.name}:${client}:${host}`,
      );
      let moved: string;
      try {
        const r = await send<{ path: string }>(
          host,
          { op: 'volume_create', name: loc.name, sizeGiB, source: { kind: 'remote', nbd } },
          `volume_move:${loc.name}:${host}`,
          CREATE_TIMEOUT_MS,
        );
        moved = agentHandle({ host, name: loc.name, path: r.path });
      } finally {
        await send(
          loc.host,
          { op: 'volume_unexport', name: loc.name, client },
          `volume_unexport:${loc.name}:${client}:${host}`,
        ).catch((err: unknown) => options.log.warn({ err, volume: loc.name }, 'move export not stopped'));
      }
      await send(loc.host, { op: 'volume_delete', name: loc.name }, `volume_delete:${loc.name}:moved:${host}`);
      options.log.info({ volume: loc.name, from: loc.host, to: host }, 'volume moved to its server host');
      return moved;
    },
    async upload(handle, target) {
      const loc: AgentLocation | null = parseHandle(handle);
      if (!loc) return false;
      const imageId = target.url.split('/').at(-2) ?? '';
      await send(
        loc.host,
        { op: 'volume_upload', name: loc.name, ...target },
        `volume_upload:${loc.name}:${imageId}`,
        CREATE_TIMEOUT_MS,
      );
      return true;
    },
  };
}
