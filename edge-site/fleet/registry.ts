import { eq } from 'drizzle-orm';
import { notFound } from '../../shared/errors.ts';
import type { AgentStatus, HostInventory } from '../../shared/schemas/agent-protocol.ts';
import { hosts as hostsTable } from '../db/schema/fleet.ts';
import type { HostState, SiteDeps } from '../services.ts';

/** What changed when an agent announced itself online. */
export interface OnlineChange {
  host: HostState;
  /** The host was down (or unknown) before. */
  cameUp: boolean;
  /** The agent's boot id differs from the last one seen (the agent restarted). */
  rebooted: boolean;
}

/** The site's hosts: in memory for reads, written through to SQLite so they survive a site restart. */
export interface HostRegistry {
  all(): readonly HostState[];
  get(id: string): HostState | undefined;
  online(status: AgentStatus): Promise<OnlineChange | null>;
  /** Marks a host down; returns it when its state changed. */
  down(id: string): Promise<HostState | null>;
  /** Records a heartbeat; returns the host when it came back up. */
  seen(id: string): Promise<HostState | null>;
  setEnabled(id: string, enabled: boolean, reason: string | null): Promise<HostState>;
  /** Resolves when every queued write has reached the database. */
  flush(): Promise<void>;
}

const EMPTY_INVENTORY: HostInventory = {
  vcpus: 0,
  memoryMiB: 0,
  diskGiB: 0,
  hypervisorType: 'unknown',
  hypervisorVersion: 0,
};
/** Heartbeats only touch memory; last_seen reaches the database at most this often per host. */
const PERSIST_SEEN_MS = 60_000;

/** Loads the registry; every stored host starts `down` until its agent reports. */
export async function loadHostRegistry(deps: SiteDeps): Promise<HostRegistry> {
  const { db } = deps.db;
  const byId = new Map<string, HostState>();
  const persistedSeen = new Map<string, number>();
  for (const row of await db.select().from(hostsTable)) {
    byId.set(row.id, {
      id: row.id,
      numericId: row.numericId,
      state: 'down',
      enabled: row.enabled,
      disabledReason: row.disabledReason,
      availabilityZone: row.availabilityZone,
      inventory: row.inventory,
      lastSeen: row.lastSeen,
      bootId: row.bootId,
    });
    persistedSeen.set(row.id, row.lastSeen);
  }
  let nextNumeric = Math.max(0, ...[...byId.values()].map((h) => h.numericId)) + 1;
  let writes: Promise<unknown> = Promise.resolve();
  const save = (h: HostState) => {
    const row = {
      id: h.id,
      numericId: h.numericId,
      availabilityZone: h.availabilityZone,
      inventory: h.inventory,
      enabled: h.enabled,
      disabledReason: h.disabledReason,
      lastSeen: h.lastSeen,
      bootId: h.bootId,
    };
    persistedSeen.set(h.id, h.lastSeen);
    const { id: _id, ...set } = row;
    writes = writes
      .then(() => db.insert(hostsTable).values(row).onConflictDoUpdate({ target: hostsTable.id, set }))
      .catch((err: unknown) => deps.log.error({ err: String(err), host: h.id }, 'cannot persist host'));
    return writes;
  };
  const snapshot = (h: HostState): HostState => ({ ...h });

  return {
    all: () => [...byId.values()].map(snapshot).sort((a, b) => a.numericId - b.numericId),
    get: (id) => {
      const h = byId.get(id);
      return h ? snapshot(h) : undefined;
    },
    async online(status) {
      const prev = byId.get(status.host);
      const now = deps.clock.now();
      const next: HostState = {
        id: status.host,
        numericId: prev?.numericId ?? nextNumeric++,
        state: 'up',
        enabled: prev?.enabled ?? true,
        disabledReason: prev?.disabledReason ?? null,
        availabilityZone: status.availabilityZone ?? prev?.availabilityZone ?? 'nova',
        inventory: status.inventory ?? prev?.inventory ?? EMPTY_INVENTORY,
        lastSeen: now,
        bootId: status.bootId ?? prev?.bootId ?? null,
      };
      byId.set(next.id, next);
      await save(next);
      const cameUp = prev?.state !== 'up';
      const rebooted = (prev?.bootId ?? null) !== next.bootId;
      return { host: snapshot(next), cameUp, rebooted };
    },
    async down(id) {
      const h = byId.get(id);
      if (!h || h.state === 'down') return null;
      h.state = 'down';
      await save(h);
      return snapshot(h);
    },
    async seen(id) {
      const h = byId.get(id);
      if (!h) return null;
      h.lastSeen = deps.clock.now();
      const cameUp = h.state === 'down';
      h.state = 'up';
      if (cameUp || h.lastSeen - (persistedSeen.get(id) ?? 0) >= PERSIST_SEEN_MS) await save(h);
      return cameUp ? snapshot(h) : null;
    },
    async setEnabled(id, enabled, reason) {
      const h = byId.get(id);
      if (!h) throw notFound('fleet.host_not_found', `Host ${id} could not be found.`);
      h.enabled = enabled;
      h.disabledReason = enabled ? null : reason;
      await save(h);
      return snapshot(h);
    },
    async flush() {
      await writes;
    },
  };
}

/** Reads a stored host row without the registry (tests). */
export async function storedHost(deps: SiteDeps, id: string) {
  const [row] = await deps.db.db.select().from(hostsTable).where(eq(hostsTable.id, id));
  return row;
}
