/**
 * Which host keeps a new volume (Cinder's scheduler, narrowed): hosts that are up, enabled and report volume
 * storage; Cinder's scheduler hints narrow them (`same_host` / `different_host`: volume ids, `local_to_instance`: a
 * server's host); then the wanted host when one is given (boot from volume: the server's host), else the host with
 * the most free space once the volumes already placed there are counted (CapacityWeigher), ties by name.
 */
import type { HostVolumeStorage } from '../../shared/schemas/agent-protocol.ts';

/** A host as placement sees it. */
export interface StorageHost {
  id: string;
  up: boolean;
  storage?: HostVolumeStorage;
}

/** What a volume asks of its host. */
export interface PlacementRequest {
  sizeGiB: number;
  /** Preferred host (the server's, for boot volumes); others are used when it keeps no volumes. */
  prefer?: string;
  /** Only these hosts (same_host, local_to_instance). */
  only?: string[];
  /** Not these hosts (different_host). */
  avoid?: string[];
}

/** The chosen host, or null when none fits. `provisioned`: GiB of volumes already placed per host. */
export function chooseVolumeHost(
  hosts: readonly StorageHost[],
  provisioned: ReadonlyMap<string, number>,
  req: PlacementRequest,
): string | null {
  const free = (h: StorageHost) => (h.storage?.freeGiB ?? 0) - (provisioned.get(h.id) ?? 0);
  const fits = hosts.filter(
    (h) =>
      h.up &&
      h.storage !== undefined &&
      (!req.only || req.only.includes(h.id)) &&
      !(req.avoid ?? []).includes(h.id) &&
      free(h) >= req.sizeGiB,
  );
  if (req.prefer) {
    const preferred = fits.find((h) => h.id === req.prefer);
    if (preferred) return preferred.id;
  }
  fits.sort((a, b) => free(b) - free(a) || a.id.localeCompare(b.id));
  return fits[0]?.id ?? null;
}
