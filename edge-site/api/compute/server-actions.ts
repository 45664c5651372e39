/** `POST /v2.1/servers/{id}/action`: power actions, reboot, console output, lock/unlock. */
import { Hono } from 'hono';
import { BrumeError, badRequest, conflict } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast, versionOf } from '../../compute/microversion.ts';
import { createServerImage } from '../../compute/servers/create-image.ts';
import { rebuildSchema, rebuildServer } from '../../compute/servers/rebuild.ts';
import { ACTIONS, type ActionSpec } from '../../compute/servers/states.ts';
import type { ServerRow } from '../../compute/servers/store.ts';
import { describeZodError, jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin, requireRole } from '../policy.ts';
import { changeServerSecurityGroup } from './security-groups.ts';
import { assertUnlocked, loadServer, renderServer } from './server-common.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nova's InstanceInvalidState message. */
function invalidState(action: string, row: ServerRow) {
  const [attr, state] = row.taskState !== null ? ['task_state', row.taskState] : ['vm_state', row.vmState];
  return conflict(
    'compute.instance_invalid_state',
    `Cannot '${action}' instance ${row.id} while it is in ${attr} ${state}`,
  );
}

/** The server actions sub-app (mounted at `/servers`). */
export function serverActionRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const power = async (row: ServerRow, spec: ActionSpec, requestId: string, auth: AppEnv['Variables']['auth']) => {
    const ok = await ctx.store.transition(
      row.id,
      { vmStates: spec.vmStates, taskStates: spec.taskStates },
      { taskState: spec.task, updatedAt: ctx.deps.clock.now() },
    );
    if (!ok) throw invalidState(spec.name, (await ctx.store.get(row.id)) ?? row);
    await ctx.engine.record(ok, spec.op === 'reboot' ? 'reboot' : spec.op, auth, requestId);
    ctx.engine.startAction(ok, spec, requestId);
  };

  app.post('/:id/action', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:servers:action');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const body = await jsonBody(c);
    if (!isObject(body) || Object.keys(body).length !== 1) {
      throw badRequest('compute.invalid_action', 'There is no such action: the body must name exactly one action.');
    }
    const [name, arg] = Object.entries(body)[0] ?? ['', null];
    const auth = c.var.auth;
    switch (name) {
      case 'os-stop':
      case 'os-start':
      case 'pause':
      case 'unpause':
      case 'suspend':
      case 'resume': {
        assertUnlocked(c, row);
        const spec = ACTIONS[name];
        if (spec) await power(row, spec, c.var.requestId, auth);
        return c.body(null, 202);
      }
      case 'reboot': {
        assertUnlocked(c, row);
        const type = isObject(arg) ? arg.type : undefined;
        if (typeof type !== 'string' || !['SOFT', 'HARD'].includes(type.toUpperCase())) {
          throw badRequest(
            'api.invalid_body',
            "Invalid input for field/attribute type. Value must be 'SOFT' or 'HARD'.",
          );
        }
        const spec = type.toUpperCase() === 'HARD' ? ACTIONS['reboot-hard'] : ACTIONS.reboot;
        if (spec) await power(row, spec, c.var.requestId, auth);
        return c.body(null, 202);
      }
      case 'rebuild': {
        assertUnlocked(c, row);
        const parsed = rebuildSchema.safeParse(body);
        if (!parsed.success) throw badRequest('api.invalid_body', describeZodError(parsed.error));
        const r = await rebuildServer(ctx, auth, row, parsed.data, versionOf(c).minor, c.var.requestId);
        // From 2.75 the rebuild response is the detailed view, but with `user_data` in place of the admin attribute.
        const { 'OS-EXT-SRV-ATTR:user_data': _adminUserData, ...view } = await renderServer(
          ctx,
          c,
          r.row,
          'basic',
          true,
        );
        const extra = {
          ...(atLeast(c, 54) ? { key_name: r.row.keyName } : {}),
          ...(atLeast(c, 57) ? { user_data: r.row.userData } : {}),
        };
        return c.json({ server: { ...view, ...extra, adminPass: r.adminPass } }, 202);
      }
      case 'os-getConsoleOutput': {
        let lines: number | undefined;
        const raw = isObject(arg) ? arg.length : undefined;
        if (raw !== undefined && raw !== null) {
          const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < -1) {
            throw badRequest('api.invalid_body', `Invalid input for field/attribute length. Value: ${String(raw)}.`);
          }
          lines = n === -1 ? undefined : n;
        }
        if (!row.host || row.vmState === 'building') {
          throw conflict('compute.instance_not_ready', `Instance ${row.id} is not ready`);
        }
        const result = await ctx.services.fleet.send<unknown>(row.host, {
          op: 'console',
          instanceId: row.id,
          ...(lines !== undefined ? { lines } : {}),
        });
        let output = typeof result === 'string' ? result : isObject(result) ? String(result.output ?? '') : '';
        if (lines !== undefined) output = output.split('\n').slice(-lines).join('\n');
        return c.json({ output });
      }
      case 'lock': {
        const reason = isObject(arg) && typeof arg.locked_reason === 'string' ? arg.locked_reason : null;
        if (reason !== null && !atLeast(c, 73)) {
          throw badRequest(
            'api.invalid_body',
            "Additional properties are not allowed ('locked_reason' was unexpected)",
          );
        }
        if (reason !== null && reason.length > 255) throw badRequest('api.invalid_body', 'locked_reason is too long');
        await ctx.store.update(row.id, { locked: true, lockedReason: reason, updatedAt: ctx.deps.clock.now() });
        await ctx.engine.record(row, 'lock', auth, c.var.requestId, true);
        return c.body(null, 202);
      }
      case 'unlock': {
        if (row.locked && !isAdmin(auth) && row.userId !== auth.userId) {
          throw conflict('compute.instance_locked', `Instance ${row.id} is locked`);
        }
        await ctx.store.update(row.id, { locked: false, lockedReason: null, updatedAt: ctx.deps.clock.now() });
        await ctx.engine.record(row, 'unlock', auth, c.var.requestId, true);
        return c.body(null, 202);
      }
      case 'addSecurityGroup':
      case 'removeSecurityGroup':
        await changeServerSecurityGroup(ctx, c, row, arg, name === 'addSecurityGroup');
        return c.body(null, 202);
      case 'os-resetState': {
        requireRole(auth, 'admin', 'os_compute_api:os-admin-actions:reset_state');
        const state = isObject(arg) ? arg.state : undefined;
        if (state !== 'active' && state !== 'error') {
          throw badRequest(
            'api.invalid_body',
            `Invalid input for field/attribute state. Value: ${String(state)}. Must be 'active' or 'error'.`,
          );
        }
        await ctx.store.update(row.id, {
          vmState: state,
          taskState: null,
          pendingRequest: null,
          updatedAt: ctx.deps.clock.now(),
        });
        await ctx.engine.record(row, 'resetState', auth, c.var.requestId, true);
        return c.body(null, 202);
      }
      case 'createImage': {
        if (['building', 'error'].includes(row.vmState)) throw invalidState('createImage', row);
        const imageId = await createServerImage(ctx, row, arg, auth);
        c.header('Location', ctx.services.image.fileUrl(imageId).replace(/\/file$/, ''));
        return atLeast(c, 45) ? c.json({ image_id: imageId }, 202) : c.body(null, 202);
      }
      case 'restore':
      case 'forceDelete':
        // Brume deletes at once (no soft delete), so no live server is ever SOFT_DELETED.
        throw invalidState(name, row);
      default:
        throw new BrumeError('bad_request', 'compute.action_not_supported', `There is no such action: ${name}`);
    }
  });
  return app;
}
