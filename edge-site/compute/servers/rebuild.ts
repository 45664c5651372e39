/**
 * The `rebuild` server action: a new image (and optionally name, metadata, user data, …) for the same server. The
 * row changes at once (status REBUILD); in the background the agent destroys the VM and spawns it again with the
 * same id and ports, then the server is ACTIVE again (or SHUTOFF when it was stopped).
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { badRequest, conflict } from '../../../shared/errors.ts';
import type { AuthContext } from '../../api/env.ts';
import { computeInstanceActions } from '../../db/schema/compute.ts';
import type { SiteDeps } from '../../services.ts';
import type { ComputeServices } from '../services.ts';
import { accessIPv4, accessIPv6, resolveBootImage } from './create.ts';
import type { ServerEngine } from './engine.ts';
import { POWER } from './states.ts';
import type { ServerPatch, ServerRow, ServerStore } from './store.ts';

const name = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => s.trim() === s && s.trim() !== '', 'Invalid input: leading/trailing whitespace is not allowed');

/** The body of a rebuild action (`{"rebuild": {...}}`). */
export const rebuildSchema = z.object({
  rebuild: z.looseObject({
    imageRef: z.string().min(1).max(2048),
    name: name.optional(),
    adminPass: z.string().optional(),
    metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
    accessIPv4: accessIPv4.optional(),
    accessIPv6: accessIPv6.optional(),
    'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
    preserve_ephemeral: z.boolean().optional(),
    description: z.string().max(255).nullable().optional(),
    key_name: z.string().min(1).max(255).nullable().optional(),
    user_data: z.string().max(65535).nullable().optional(),
  }),
});
export type RebuildBody = z.infer<typeof rebuildSchema>;

/** vm_states a rebuild is allowed from (Nova's check_instance_state for rebuild). */
const REBUILDABLE = ['active', 'stopped', 'error'];
const PASS_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

interface RebuildCtx {
  deps: SiteDeps;
  services: ComputeServices;
  store: ServerStore;
  engine: ServerEngine;
}

/** Validates the request, moves the server to `rebuilding` and starts the work; returns the row and adminPass. */
export async function rebuildServer(
  ctx: RebuildCtx,
  auth: AuthContext,
  row: ServerRow,
  body: RebuildBody,
  minor: number,
  requestId: string,
): Promise<{ row: ServerRow; adminPass: string }> {
  const { deps } = ctx;
  const b = body.rebuild;
  const unexpected = (field: string) =>
    badRequest('api.invalid_body', `Additional properties are not allowed ('${field}' was unexpected)`);
  if (b.description !== undefined && minor < 19) throw unexpected('description');
  if (b.key_name !== undefined && minor < 54) throw unexpected('key_name');
  if (b.user_data !== undefined && minor < 57) throw unexpected('user_data');

  const imageId = resolveBootImage(ctx.services, auth, b.imageRef, row.flavor);
  const patch: ServerPatch = { imageId, taskState: 'rebuilding', updatedAt: deps.clock.now() };
  if (b.name !== undefined) patch.name = b.name;
  if (b.metadata !== undefined) patch.metadata = b.metadata;
  if (b.accessIPv4 !== undefined) patch.accessIpv4 = b.accessIPv4;
  if (b.accessIPv6 !== undefined) patch.accessIpv6 = b.accessIPv6;
  if (b['OS-DCF:diskConfig'] !== undefined) patch.diskConfig = b['OS-DCF:diskConfig'];
  if (b.description !== undefined) patch.description = b.description;
  if (b.key_name !== undefined) {
    if (b.key_name === null) {
      patch.keyName = null;
      patch.keyData = null;
    } else {
      const key = deps.catalog.get('keypairs', `${row.userId}:${b.key_name}`);
      if (!key) throw badRequest('compute.keypair_not_found', `Invalid key_name provided.`);
      patch.keyName = key.name;
      patch.keyData = key.public_key;
    }
  }
  if (b.user_data !== undefined && b.user_data !== null) {
    const ud = b.user_data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(ud) || ud.length % 4 === 1) {
      throw badRequest('compute.invalid_user_data', 'User data needs to be valid base 64.');
    }
  }
  if (b.user_data !== undefined) patch.userData = b.user_data;

  const next = await ctx.store.transition(row.id, { vmStates: REBUILDABLE, taskStates: [null] }, patch);
  if (!next) {
    const cur = (await ctx.store.get(row.id)) ?? row;
    const [attr, state] = cur.taskState !== null ? ['task_state', cur.taskState] : ['vm_state', cur.vmState];
    throw conflict(
      'compute.instance_invalid_state',
      `Cannot 'rebuild' instance ${row.id} while it is in ${attr} ${state}`,
    );
  }
  await ctx.engine.record(next, 'rebuild', auth, requestId);
  const wasStopped = row.vmState === 'stopped';
  ctx.engine.run(row.id, 'rebuild', () => respawn(ctx, row.id, wasStopped, requestId));
  const adminPass = b.adminPass ?? Array.from(deps.ids.bytes(12), (x) => PASS_CHARS[x % PASS_CHARS.length]).join('');
  return { row: next, adminPass };
}

/** Destroys and spawns the VM again (same id and ports); the server ends ACTIVE, or SHUTOFF if it was stopped. */
async function respawn(ctx: RebuildCtx, id: string, wasStopped: boolean, requestId: string): Promise<void> {
  const { deps, store, engine } = ctx;
  const log = deps.log.child({ module: 'compute' });
  const current = async () => {
    const r = await store.get(id);
    return r && !r.deletedAt && r.taskState === 'rebuilding' ? r : undefined;
  };
  let ok = true;
  let msg: string | null = null;
  try {
    let r = await current();
    if (!r) return;
    if (r.host) {
      await engine.command(r, { op: 'destroy', instanceId: id });
      r = await current();
      if (!r) return;
      await engine.command(r, { op: 'spawn', spec: await engine.spawnSpec(r) });
      if (wasStopped) {
        r = await current();
        if (!r) return;
        await engine.command(r, { op: 'stop', instanceId: id });
      }
    }
  } catch (err) {
    ok = false;
    msg = err instanceof Error ? err.message : String(err);
    log.warn({ err, instance: id }, 'rebuild failed');
  }
  const t = deps.clock.now();
  const hosted = (await store.get(id))?.host != null;
  await store.transition(
    id,
    { taskStates: ['rebuilding'] },
    ok && hosted
      ? {
          vmState: wasStopped ? 'stopped' : 'active',
          powerState: wasStopped ? POWER.shutdown : POWER.running,
          taskState: null,
          pendingRequest: null,
          fault: null,
          launchedAt: t,
          updatedAt: t,
        }
      : {
          vmState: 'error',
          powerState: POWER.nostate,
          taskState: null,
          pendingRequest: null,
          fault: { code: 500, message: msg ?? `Instance ${id} has no host`, details: '', created: t },
          updatedAt: t,
        },
  );
  await deps.db.db
    .update(computeInstanceActions)
    .set({ finishTime: deps.clock.now(), result: ok && hosted ? 'Success' : 'Error', message: msg })
    .where(eq(computeInstanceActions.id, `${id}:${requestId}`));
}
