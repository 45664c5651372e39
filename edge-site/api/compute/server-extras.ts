/** `/v2.1/servers/{id}/ips[/{network}]`, server tags (2.26) and os-server-password. */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { atLeast } from '../../compute/microversion.ts';
import { addressesOf } from '../../compute/servers/view.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { loadServer } from './server-common.ts';

const TAG = /^[^,/]{1,60}$/;

/** The ips and tags sub-app (mounted at `/servers`). */
export function serverExtraRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/:id/ips', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'));
    return c.json({ addresses: addressesOf(await ctx.services.network.portsOfServer(row.id), false) });
  });
  app.get('/:id/ips/:network', async (c) => {
    const row = await loadServer(ctx, c, c.req.param('id'));
    const all = addressesOf(await ctx.services.network.portsOfServer(row.id), false);
    const net = c.req.param('network');
    const list = all[net];
    if (!list) throw notFound('compute.network_not_found', `Network ${net} could not be found.`);
    return c.json({ [net]: list });
  });

  // The metadata service is where a guest would post its encrypted password; Brume has none, so it is always empty.
  app.get('/:id/os-server-password', async (c) => {
    await loadServer(ctx, c, c.req.param('id'));
    return c.json({ password: '' });
  });
  app.delete('/:id/os-server-password', async (c) => {
    requireRole(c.var.auth, 'member', 'os_compute_api:os-server-password:clear');
    await loadServer(ctx, c, c.req.param('id'));
    return c.body(null, 204);
  });

  // Diagnostics (admin) from what the site knows; counters it does not collect are null, as Nova allows.
  app.get('/:id/diagnostics', async (c) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-server-diagnostics');
    const row = await loadServer(ctx, c, c.req.param('id'));
    if (!row.host || row.vmState === 'building') {
      throw conflict('compute.instance_invalid_state', `Cannot 'get_diagnostics' instance ${row.id} while building`);
    }
    const ports = await ctx.services.network.portsOfServer(row.id);
    const states: Record<number, string> = { 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended' };
    const nic = (mac: string) => ({
      mac_address: mac,
      ...Object.fromEntries(
        ['rx_octets', 'rx_errors', 'rx_drop', 'rx_packets', 'rx_rate', 'tx_octets', 'tx_errors', 'tx_drop']
          .concat(['tx_packets', 'tx_rate'])
          .map((k) => [k, null]),
      ),
    });
    return c.json({
      state: states[row.powerState] ?? 'pending',
      driver: 'libvirt',
      hypervisor: 'qemu',
      hypervisor_os: 'linux',
      uptime: row.launchedAt === null ? null : Math.floor((ctx.deps.clock.now() - row.launchedAt) / 1000),
      config_drive: row.configDrive,
      num_cpus: row.flavor.vcpus,
      num_nics: ports.length,
      num_disks: 1,
      memory_details: { maximum: row.flavor.ram, used: null },
      cpu_details: [],
      nic_details: ports.map((p) => nic(p.macAddress)),
      disk_details: [
        { read_bytes: null, read_requests: null, write_bytes: null, write_requests: null, errors_count: null },
      ],
    });
  });

  const tagsOnly = (c: Context<AppEnv>) => {
    if (!atLeast(c, 26)) throw notFound('api.route_not_found', 'The resource could not be found.');
  };
  const save = async (id: string, tags: string[]) => {
    if (tags.length > 50)
      throw badRequest('compute.too_many_tags', 'The number of tags exceeded the per-server limit 50');
    await ctx.store.update(id, { tags, updatedAt: ctx.deps.clock.now() });
  };
  app.get('/:id/tags', async (c) => {
    tagsOnly(c);
    const row = await loadServer(ctx, c, c.req.param('id'));
    return c.json({ tags: row.tags });
  });
  app.put('/:id/tags', async (c) => {
    tagsOnly(c);
    requireRole(c.var.auth, 'member');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const { tags } = await jsonBody(c, z.object({ tags: z.array(z.string().regex(TAG)) }));
    const unique = [...new Set(tags)];
    await save(row.id, unique);
    return c.json({ tags: unique });
  });
  app.delete('/:id/tags', async (c) => {
    tagsOnly(c);
    requireRole(c.var.auth, 'member');
    const row = await loadServer(ctx, c, c.req.param('id'));
    await save(row.id, []);
    return c.body(null, 204);
  });
  app.get('/:id/tags/:tag', async (c) => {
    tagsOnly(c);
    const row = await loadServer(ctx, c, c.req.param('id'));
    if (!row.tags.includes(c.req.param('tag'))) throw notFound('compute.tag_not_found', 'Tag not found.');
    return c.body(null, 204);
  });
  app.put('/:id/tags/:tag', async (c) => {
    tagsOnly(c);
    requireRole(c.var.auth, 'member');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const tag = c.req.param('tag');
    if (!TAG.test(tag)) throw badRequest('compute.invalid_tag', `Tag '${tag}' is invalid.`);
    c.header('Location', new URL(c.req.url).href);
    if (row.tags.includes(tag)) return c.body(null, 204);
    await save(row.id, [...row.tags, tag]);
    return c.body(null, 201);
  });
  app.delete('/:id/tags/:tag', async (c) => {
    tagsOnly(c);
    requireRole(c.var.auth, 'member');
    const row = await loadServer(ctx, c, c.req.param('id'));
    const tag = c.req.param('tag');
    if (!row.tags.includes(tag)) throw notFound('compute.tag_not_found', `Tag ${tag} could not be found.`);
    await save(
      row.id,
      row.tags.filter((t) => t !== tag),
    );
    return c.body(null, 204);
  });
  return app;
}
