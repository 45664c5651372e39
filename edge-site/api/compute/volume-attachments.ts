/**
 * Nova's `/v2.1/servers/{id}/os-volume_attachments`: list, show, attach (200) and detach (202), backed by the volume
 * module. Without a volume module the routes answer as Nova does without Cinder (404 for the volume).
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { conflict, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { ServerVolumeAttachment, VolumeService } from '../../services.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { loadServer } from './server-common.ts';

const attachBody = z.object({
  volumeAttachment: z.object({
    volumeId: z.string().min(1),
    device: z.string().nullable().optional(),
    tag: z.string().max(60).optional(),
    delete_on_termination: z.boolean().optional(),
  }),
});

const view = (c: Context<AppEnv>, a: ServerVolumeAttachment) => ({
  id: a.volumeId,
  volumeId: a.volumeId,
  serverId: a.serverId,
  device: a.device,
  ...(atLeast(c, 70) ? { tag: null } : {}),
  ...(atLeast(c, 79) ? { delete_on_termination: false } : {}),
});

/** The os-volume_attachments sub-app (mounted at `/servers`). */
export function volumeAttachmentRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const volumes = (): VolumeService => {
    const v = ctx.services.volume;
    if (!v) throw notFound('compute.volume_not_found', 'Volume service is not available at this site.');
    return v;
  };
  app.get('/:id/os-volume_attachments', async (c) => {
    const server = await loadServer(ctx, c, c.req.param('id'));
    const list = ctx.services.volume ? await ctx.services.volume.attachmentsOfServer(server.id) : [];
    return c.json({ volumeAttachments: list.map((a) => view(c, a)) });
  });
  app.get('/:id/os-volume_attachments/:volumeId', async (c) => {
    const server = await loadServer(ctx, c, c.req.param('id'));
    const volumeId = c.req.param('volumeId');
    const a = (await volumes().attachmentsOfServer(server.id)).find((x) => x.volumeId === volumeId);
    if (!a) throw notFound('compute.volume_bdm_not_found', `Volume ${volumeId} is not attached to the instance.`);
    return c.json({ volumeAttachment: view(c, a) });
  });
  app.post('/:id/os-volume_attachments', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes-attachments:create');
    const server = await loadServer(ctx, c, c.req.param('id'));
    const { volumeAttachment: req } = await jsonBody(c, attachBody);
    if (server.taskState) {
      throw conflict(
        'compute.instance_invalid_state',
        `Cannot 'attach_volume' instance ${server.id} while it is in task_state ${server.taskState}`,
      );
    }
    const a = await volumes().attachToServer(
      c.var.auth,
      req.volumeId,
      { id: server.id, host: server.host },
      req.device,
    );
    return c.json({ volumeAttachment: view(c, a) });
  });
  // Swap (Nova's update): checked like Nova (unknown new volume 400, old one not attached 404), then refused.
  app.put('/:id/os-volume_attachments/:volumeId', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-volumes-attachments:swap');
    const server = await loadServer(ctx, c, c.req.param('id'));
    const { volumeAttachment: req } = await jsonBody(c, attachBody);
    const swap = volumes().swapOnServer;
    if (!swap) throw conflict('compute.swap_not_supported', 'Swapping volumes is not supported at this site.');
    await swap(c.var.auth, server.id, c.req.param('volumeId'), req.volumeId);
    return c.body(null, 202);
  });
  app.delete('/:id/os-volume_attachments/:volumeId', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-volumes-attachments:delete');
    const server = await loadServer(ctx, c, c.req.param('id'));
    await volumes().detachFromServer(c.var.auth, c.req.param('volumeId'), server.id);
    return c.body(null, 202);
  });
  return app;
}
