/** `POST /v3/{project_id}/volumes/{id}/action`: one action per body, Cinder's names and status codes. */
import { Hono } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import type { VolumeContext } from '../../volume/context.ts';
import { parseBool, VOLUME_STATUSES, type VolumeRow } from '../../volume/model.ts';
import { uploadVolumeToImage } from '../../volume/upload.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import { requireRole } from '../policy.ts';
import { positiveInt } from './common.ts';

/** An action: returns its status code, or a status and a JSON body. */
type Handler = (
  ctx: VolumeContext,
  row: VolumeRow,
  arg: Record<string, unknown>,
  auth: AuthContext,
) => Promise<number | { status: 200 | 202; body: Record<string, unknown> }>;

function bool(arg: Record<string, unknown>, key: string): boolean {
  const b = parseBool(arg[key]);
  if (b === undefined)
    throw badRequest('volume.invalid_body', `Invalid input for field/attribute ${key}. It must be a boolean.`);
  return b;
}

const ADMIN_ONLY = new Set(['os-reset_status', 'os-force_delete', 'os-force_detach']);

const ACTIONS: Record<string, Handler> = {
  'os-extend': async (ctx, row, arg) => {
    await ctx.volumes.extend(row, positiveInt(arg.new_size, 'new_size'));
    return 202;
  },
  'os-set_bootable': async (ctx, row, arg) => {
    await ctx.volumes.patch(row.id, { bootable: bool(arg, 'bootable') });
    return 200;
  },
  'os-update_readonly_flag': async (ctx, row, arg) => {
    const readonly = bool(arg, 'readonly');
    await ctx.volumes.patch(row.id, { readonly, metadata: { ...row.metadata, readonly: readonly ? 'True' : 'False' } });
    return 202;
  },
  'os-reserve': async (ctx, row) => {
    await ctx.attachments.reserve(row);
    return 202;
  },
  'os-unreserve': async (ctx, row) => {
    await ctx.attachments.unreserve(row);
    return 202;
  },
  'os-begin_detaching': async (ctx, row) => {
    await ctx.attachments.beginDetaching(row);
    return 202;
  },
  'os-roll_detaching': async (ctx, row) => {
    await ctx.attachments.rollDetaching(row);
    return 202;
  },
  'os-attach': async (ctx, row, arg) => {
    const server = typeof arg.instance_uuid === 'string' ? arg.instance_uuid : null;
    const host = typeof arg.host_name === 'string' ? arg.host_name : null;
    if (!server && !host)
      throw badRequest(
        'volume.invalid_body',
        'Invalid request to attach volume: instance_uuid or host_name is required.',
      );
    const mode = typeof arg.mode === 'string' ? arg.mode : 'rw';
    if (mode !== 'rw' && mode !== 'ro') throw badRequest('volume.invalid_body', `Invalid attaching mode '${mode}'.`);
    await ctx.attachments.attach(row, {
      serverId: server ?? '',
      host,
      device: typeof arg.mountpoint === 'string' ? arg.mountpoint : null,
      mode,
    });
    return 202;
  },
  'os-detach': async (ctx, row, arg) => {
    await ctx.attachments.detach(row, undefined, typeof arg.attachment_id === 'string' ? arg.attachment_id : undefined);
    return 202;
  },
  'os-force_detach': async (ctx, row, arg) => {
    await ctx.attachments.detach(row, undefined, typeof arg.attachment_id === 'string' ? arg.attachment_id : undefined);
    return 202;
  },
  'os-reset_status': async (ctx, row, arg) => {
    const fields: Partial<VolumeRow> = {};
    if (arg.status !== undefined) {
      if (typeof arg.status !== 'string' || !(VOLUME_STATUSES as readonly string[]).includes(arg.status)) {
        throw badRequest('volume.invalid_status', `Invalid input received: status ${String(arg.status)} is not valid.`);
      }
      fields.status = arg.status;
    }
    if (arg.attach_status === 'attached' || arg.attach_status === 'detached') fields.attachStatus = arg.attach_status;
    await ctx.volumes.patch(row.id, fields);
    return 202;
  },
  'os-force_delete': async (ctx, row) => {
    await ctx.volumes.remove(row, { force: true });
    return 202;
  },
  'os-volume_upload_image': (ctx, row, arg, auth) => uploadVolumeToImage(ctx, row, arg, auth),
};

/** The action route (mounted at `/v3/:project_id/volumes`). */
export function volumeActionRoutes(ctx: VolumeContext, extra: Record<string, Handler> = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/:id/action', async (c) => {
    const row = await ctx.volumes.load(c.var.auth, c.req.param('id'));
    const body = await jsonBody(c);
    const entries = body && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body) : [];
    const [name, rawArg] = entries[0] ?? [];
    const handler = name === undefined ? undefined : (ACTIONS[name] ?? extra[name]);
    if (entries.length !== 1 || name === undefined || !handler) {
      throw badRequest('volume.invalid_action', `There is no such action: ${name ?? '(none)'}`);
    }
    requireRole(c.var.auth, ADMIN_ONLY.has(name) ? 'admin' : 'member', `volume_extension:${name}`);
    const arg = rawArg && typeof rawArg === 'object' ? (rawArg as Record<string, unknown>) : {};
    const status = await handler(ctx, row, arg, c.var.auth);
    if (typeof status === 'object') return c.json(status.body, status.status);
    return c.body(null, status as 200 | 202);
  });
  return app;
}

export type { Handler as VolumeActionHandler };
