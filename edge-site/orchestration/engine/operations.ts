/** The stack lifecycle: create (with rollback), update (in place or replace), delete — over the dependency graph. */
import { isBrumeError } from '../../../shared/errors.ts';
import { CloudError } from '../cloud.ts';
import { validateProperties } from '../resources/types.ts';
import { resolve } from '../template/functions.ts';
import { dependencyGraph, type Graph, walkGraph } from '../template/graph.ts';
import { loadTemplate } from '../template/template.ts';
import { Cancelled, type StackRuntime } from './runtime.ts';
import type { ResourceRow, StackStore } from './store.ts';

/** Heat-like reason text for a failure (`ResourceInError: resources.server: …`). */
export function failureText(name: string, err: unknown): string {
  const cls =
    err instanceof CloudError
      ? err.status === 404
        ? 'NotFound'
        : err.status === 409
          ? 'Conflict'
          : err.status === 403
            ? 'Forbidden'
            : 'BadRequest'
      : isBrumeError(err)
        ? (err.type ?? 'Error')
        : 'ResourceInError';
  const msg = err instanceof Error ? err.message : String(err);
  return `${cls}: resources.${name}: ${msg}`;
}

/** Records state changes of stacks and resources, with an event for each. */
export class Recorder {
  readonly store: StackStore;
  readonly rt: StackRuntime;
  constructor(store: StackStore, rt: StackRuntime) {
    this.store = store;
    this.rt = rt;
  }

  async stack(action: string, status: string, reason: string): Promise<void> {
    const { clock, ids } = this.rt.env;
    const now = clock.now();
    Object.assign(this.rt.stack, { action, status, statusReason: reason, updatedAt: now });
    await this.store.updateStack(this.rt.stack.id, { action, status, statusReason: reason, updatedAt: now });
    await this.store.addEvent({
      id: ids.uuid(),
      stackId: this.rt.stack.id,
      resourceName: this.rt.stack.name,
      physicalId: this.rt.stack.id,
      resourceType: 'OS::Heat::Stack',
      action,
      status,
      statusReason: reason,
      time: now,
    });
  }

  async resource(
    row: ResourceRow,
    patch: Partial<ResourceRow> & { action: string; status: string; statusReason: string },
  ): Promise<void> {
    const { clock, ids } = this.rt.env;
    const now = clock.now();
    Object.assign(row, patch, { updatedAt: now });
    await this.store.updateResource(row.id, { ...patch, data: row.data, updatedAt: now });
    await this.store.addEvent({
      id: ids.uuid(),
      stackId: row.stackId,
      resourceName: row.name,
      physicalId: row.physicalId ?? '',
      resourceType: row.type,
      action: patch.action,
      status: patch.status,
      statusReason: patch.statusReason,
      time: now,
    });
  }

  /** A new row (INIT) for `name`, made current. */
  async newRow(name: string): Promise<ResourceRow> {
    const def = this.rt.prepared.template.resources[name];
    const { clock, ids } = this.rt.env;
    const row: ResourceRow = {
      id: ids.uuid(),
      stackId: this.rt.stack.id,
      name,
      type: def?.type ?? 'OS::Heat::None',
      physicalId: null,
      site: this.rt.env.sites.localSite,
      action: 'INIT',
      status: 'COMPLETE',
      statusReason: '',
      properties: null,
      data: {},
      createdAt: clock.now(),
      updatedAt: null,
    };
    await this.store.insertResource(row);
    this.rt.rows.set(name, row);
    return row;
  }
}

/** Resolves and validates a resource's properties against the current state. */
async function properties(rt: StackRuntime, name: string): Promise<Record<string, unknown>> {
  const def = rt.prepared.template.resources[name];
  const type = def ? rt.types.get(def.type) : undefined;
  if (!def || !type) throw new Error(`unknown resource ${name}`);
  const props = (await resolve(def.properties, rt.resolveContext())) as Record<string, unknown>;
  return validateProperties(name, type, props);
}

/** Creates one resource into `row` (its site chosen from metadata). */
async function createOne(rec: Recorder, row: ResourceRow): Promise<void> {
  const { rt } = rec;
  if (rt.cancelled) throw new Cancelled(rt.cancelReason);
  await rec.resource(row, { action: 'CREATE', status: 'IN_PROGRESS', statusReason: 'state changed' });
  try {
    const site = (await rt.siteOf(row.name)) ?? rt.env.sites.localSite;
    const props = await properties(rt, row.name);
    const type = rt.types.get(row.type);
    if (!type) throw new Error(`unknown type ${row.type}`);
    row.site = site;
    const ctx = rt.resourceContext(row);
    const id = await type.create(ctx, props);
    // Recorded before waiting: a failure from here on still deletes what was made.
    row.physicalId = id;
    await rec.store.updateResource(row.id, { physicalId: id, site, properties: props, data: row.data });
    row.properties = props;
    await type.checkCreate?.(ctx, id, props);
    await rec.resource(row, { action: 'CREATE', status: 'COMPLETE', statusReason: 'state changed' });
  } catch (err) {
    await rec.resource(row, { action: 'CREATE', status: 'FAILED', statusReason: failureText(row.name, err) });
    throw err;
  }
}

/** Deletes one resource row (idempotent: no physical id, or already gone, is fine). */
async function deleteOne(rec: Recorder, row: ResourceRow, action = 'DELETE'): Promise<void> {
  const { rt } = rec;
  const type = rt.types.get(row.type);
  if (row.physicalId && type) {
    await rec.resource(row, { action, status: 'IN_PROGRESS', statusReason: 'state changed' });
    try {
      await type.delete(rt.resourceContext(row), row.physicalId);
    } catch (err) {
      await rec.resource(row, { action, status: 'FAILED', statusReason: failureText(row.name, err) });
      throw err;
    }
    await rec.resource(row, { action, status: 'COMPLETE', statusReason: 'state changed' });
  }
  await rec.store.deleteResource(row.id);
  if (rt.rows.get(row.name) === row) rt.rows.delete(row.name);
}

function firstError(failures: Array<{ name: string; error: unknown }>, action: string): string {
  const f = failures[0];
  if (!f) return '';
  if (f.error instanceof Cancelled) return f.error.message;
  return `Resource ${action} failed: ${failureText(f.name, f.error)}`;
}

/** Deletes every row of the runtime in reverse dependency order, then leftovers. */
async function deleteAll(
  rec: Recorder,
  graph: Graph,
  action: string,
): Promise<Array<{ name: string; error: unknown }>> {
  const { rt } = rec;
  const rows = await rec.store.resources(rt.stack.id);
  const byName = new Map<string, ResourceRow[]>();
  for (const r of rows) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const inGraph = new Map(
    [...graph].filter(([n]) => byName.has(n)).map(([n, d]) => [n, new Set([...d].filter((x) => byName.has(x)))]),
  );
  const failures = await walkGraph(
    inGraph,
    async (n) => {
      for (const r of byName.get(n) ?? []) await deleteOne(rec, r, action);
    },
    { reverse: true },
  );
  if (failures.length > 0) return failures;
  for (const [n, list] of byName) {
    if (inGraph.has(n)) continue;
    for (const r of list) {
      try {
        await deleteOne(rec, r, action);
      } catch (error) {
        failures.push({ name: n, error });
      }
    }
  }
  return failures;
}

/** Creates every resource; on failure rolls back unless disabled. */
export async function runCreate(rec: Recorder): Promise<void> {
  const { rt } = rec;
  for (const n of rt.prepared.graph.keys()) if (!rt.rows.has(n)) await rec.newRow(n);
  const failures = await walkGraph(rt.prepared.graph, async (n) => {
    const row = rt.rows.get(n);
    if (row) await createOne(rec, row);
  });
  if (failures.length === 0) {
    await rec.stack('CREATE', 'COMPLETE', 'Stack CREATE completed successfully');
    return;
  }
  await rec.stack('CREATE', 'FAILED', firstError(failures, 'CREATE'));
  if (rt.stack.disableRollback || rt.cancelled) return;
  await rec.stack('ROLLBACK', 'IN_PROGRESS', 'Stack ROLLBACK started');
  const undo = await deleteAll(rec, rt.prepared.graph, 'DELETE');
  if (undo.length > 0) await rec.stack('ROLLBACK', 'FAILED', firstError(undo, 'DELETE'));
  else await rec.stack('ROLLBACK', 'COMPLETE', 'Stack ROLLBACK completed successfully');
}

/** Deletes the stack's resources; the stack is gone (DELETE_COMPLETE) when all are. */
export async function runDelete(rec: Recorder): Promise<void> {
  const { rt } = rec;
  await rec.stack('DELETE', 'IN_PROGRESS', 'Stack DELETE started');
  const failures = await deleteAll(rec, rt.prepared.graph, 'DELETE');
  if (failures.length > 0) {
    await rec.stack('DELETE', 'FAILED', firstError(failures, 'DELETE'));
    return;
  }
  await rec.stack('DELETE', 'COMPLETE', 'Stack DELETE completed successfully');
  await rec.store.updateStack(rt.stack.id, { deletedAt: rt.env.clock.now() });
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Moves the stack to its new definition: creates new resources, updates changed ones in place when every changed
 * property allows it, replaces the others (the old one deleted first), then deletes removed ones in reverse order
 * of the old template.
 */
export async function runUpdate(
  rec: Recorder,
  oldTemplate: Record<string, unknown>,
  action: 'UPDATE' | 'ROLLBACK' = 'UPDATE',
): Promise<boolean> {
  const { rt } = rec;
  const failures = await walkGraph(rt.prepared.graph, async (n) => {
    const def = rt.prepared.template.resources[n];
    const old = rt.rows.get(n);
    if (!def) return;
    if (
      !old?.physicalId ||
      old.type !== def.type ||
      (old.action === 'CREATE' && old.status !== 'COMPLETE') ||
      (old.action === 'CHECK' && old.status === 'FAILED')
    ) {
      if (old) await deleteOne(rec, old);
      await createOne(rec, await rec.newRow(n));
      return;
    }
    const type = rt.types.get(def.type);
    if (!type) return;
    const props = await properties(rt, n);
    const changed = Object.keys(type.properties).filter((k) => !sameValue(props[k], old.properties?.[k]));
    const site = (await rt.siteOf(n)) ?? rt.env.sites.localSite;
    if (changed.length === 0 && site === old.site) return;
    const inPlace =
      site === old.site &&
      type.update !== undefined &&
      changed.every((k) => type.properties[k]?.update_allowed) &&
      !(old.type === 'OS::Heat::TestResource' && props.update_replace === true);
    if (inPlace && type.update && old.physicalId) {
      await rec.resource(old, { action: 'UPDATE', status: 'IN_PROGRESS', statusReason: 'state changed' });
      try {
        await type.update(rt.resourceContext(old), old.physicalId, props, changed);
      } catch (err) {
        await rec.resource(old, { action: 'UPDATE', status: 'FAILED', statusReason: failureText(n, err) });
        throw err;
      }
      await rec.resource(old, {
        action: 'UPDATE',
        status: 'COMPLETE',
        statusReason: 'state changed',
        properties: props,
      });
      return;
    }
    // Replacement deletes first: servers hold ports and volumes exclusively, so a twin could not take them over.
    await deleteOne(rec, old);
    await createOne(rec, await rec.newRow(n));
  });
  if (failures.length > 0) {
    await rec.stack(action, 'FAILED', firstError(failures, 'UPDATE'));
    return false;
  }
  // Removed resources and replaced originals go, dependents first (as the old template ordered them).
  let oldGraph: Graph;
  try {
    oldGraph = dependencyGraph(loadTemplate(oldTemplate).resources);
  } catch {
    oldGraph = new Map();
  }
  const current = new Set([...rt.rows.values()].map((r) => r.id));
  const all = await rec.store.resources(rt.stack.id);
  const doomed = new Map<string, ResourceRow[]>();
  for (const r of all) {
    if (current.has(r.id) && rt.prepared.graph.has(r.name)) continue;
    doomed.set(r.name, [...(doomed.get(r.name) ?? []), r]);
  }
  const g: Graph = new Map();
  for (const n of doomed.keys()) g.set(n, new Set([...(oldGraph.get(n) ?? [])].filter((d) => doomed.has(d))));
  const delFailures = await walkGraph(
    g,
    async (n) => {
      for (const r of doomed.get(n) ?? []) {
        if (rt.rows.get(n) === r) rt.rows.delete(n);
        await deleteOne(rec, r, 'DELETE');
      }
    },
    { reverse: true },
  );
  if (delFailures.length > 0) {
    await rec.stack(action, 'FAILED', firstError(delFailures, 'DELETE'));
    return false;
  }
  await rec.stack(action, 'COMPLETE', `Stack ${action} completed successfully`);
  return true;
}
