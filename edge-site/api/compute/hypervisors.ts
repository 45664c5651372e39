/** `/v2.1/os-hypervisors`: list, detail, show, statistics, search, servers, uptime (admin). */
import { type Context, Hono } from 'hono';
import { notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { computeServiceId, hypervisorStats, nameUuid } from '../../compute/hosts.ts';
import { nextLink } from '../../compute/links.ts';
import { atLeast } from '../../compute/microversion.ts';
import type { HostState } from '../../services.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import { paginate } from './paging.ts';

/** The hypervisors sub-app. */
export function hypervisorRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { fleet, placement } = ctx.services;
  app.use(async (c, next) => {
    requireRole(c.var.auth, 'admin', 'os_compute_api:os-hypervisors');
    await next();
  });

  const idOf = (c: Context<AppEnv>, h: HostState) => (atLeast(c, 53) ? nameUuid(`hypervisor:${h.id}`) : h.numericId);
  const find = (c: Context<AppEnv>, id: string): HostState => {
    const h = fleet.hosts().find((x) => String(idOf(c, x)) === id);
    if (!h) throw notFound('compute.hypervisor_not_found', `Hypervisor with ID ${id} could not be found.`);
    return h;
  };
  const servers = async (h: HostState) =>
    (await ctx.store.onHost(h.id)).map((r) => ({ uuid: r.id, name: `instance-${r.id.slice(0, 8)}` }));
  const summary = (c: Context<AppEnv>, h: HostState) => ({
    id: idOf(c, h),
    hypervisor_hostname: h.id,
    state: h.state,
    status: h.enabled ? 'enabled' : 'disabled',
  });
  const detail = (c: Context<AppEnv>, h: HostState) => {
    const cpu = {
      arch: 'x86_64',
      model: h.inventory.cpuInfo ?? 'qemu64',
      vendor: 'unknown',
      topology: {},
      features: [],
    };
    return {
      ...summary(c, h),
      ...hypervisorStats(h, placement),
      hypervisor_type: h.inventory.hypervisorType,
      hypervisor_version: h.inventory.hypervisorVersion,
      host_ip: '127.0.0.1',
      cpu_info: atLeast(c, 28) ? cpu : JSON.stringify(cpu),
      service: {
        host: h.id,
        id: atLeast(c, 53) ? nameUuid(`service:${h.id}:nova-compute`) : computeServiceId(h),
        disabled_reason: h.disabledReason,
      },
    };
  };
  const matching = (c: Context<AppEnv>) => {
    const pattern = atLeast(c, 53) ? c.req.query('hypervisor_hostname_pattern') : undefined;
    const all = [...fleet.hosts()].sort((a, b) => a.numericId - b.numericId);
    if (pattern === undefined) return all;
    const hits = all.filter((h) => h.id.includes(pattern));
    if (hits.length === 0)
      throw notFound('compute.hypervisor_not_found', `No hypervisor matching '${pattern}' could be found.`);
    return hits;
  };
  const list = async (c: Context<AppEnv>, full: boolean) => {
    const withServers = atLeast(c, 53) && c.req.query('with_servers') === 'true';
    const paged = atLeast(c, 33)
      ? paginate(matching(c), c.req.query('limit'), c.req.query('marker'), (h) => String(idOf(c, h)))
      : { items: matching(c), next: undefined };
    const hypervisors = await Promise.all(
      paged.items.map(async (h) => ({
        ...(full ? detail(c, h) : summary(c, h)),
        ...(withServers ? { servers: await servers(h) } : {}),
      })),
    );
    return c.json({ hypervisors, ...(paged.next ? { hypervisors_links: nextLink(c, paged.next) } : {}) });
  };
  app.get('/', (c) => list(c, false));
  app.get('/detail', (c) => list(c, true));
  app.get('/statistics', (c) => {
    const hosts = fleet.hosts();
    const sum = (k: keyof ReturnType<typeof hypervisorStats>) =>
      hosts.reduce((n, h) => n + hypervisorStats(h, placement)[k], 0);
    return c.json({
      hypervisor_statistics: {
        count: hosts.length,
        vcpus: sum('vcpus'),
        vcpus_used: sum('vcpus_used'),
        memory_mb: sum('memory_mb'),
        memory_mb_used: sum('memory_mb_used'),
        local_gb: sum('local_gb'),
        local_gb_used: sum('local_gb_used'),
        free_ram_mb: sum('free_ram_mb'),
        free_disk_gb: sum('free_disk_gb'),
        running_vms: sum('running_vms'),
        current_workload: 0,
        disk_available_least: sum('disk_available_least'),
      },
    });
  });
  app.get('/:pattern/search', (c) => {
    if (atLeast(c, 53)) throw notFound('api.route_not_found', 'The resource could not be found.');
    const hits = fleet.hosts().filter((h) => h.id.includes(c.req.param('pattern')));
    if (hits.length === 0) throw notFound('compute.hypervisor_not_found', 'No hypervisor matching the pattern.');
    return c.json({ hypervisors: hits.map((h) => summary(c, h)) });
  });
  app.get('/:pattern/servers', async (c) => {
    if (atLeast(c, 53)) throw notFound('api.route_not_found', 'The resource could not be found.');
    const hits = fleet.hosts().filter((h) => h.id.includes(c.req.param('pattern')));
    if (hits.length === 0) throw notFound('compute.hypervisor_not_found', 'No hypervisor matching the pattern.');
    return c.json({
      hypervisors: await Promise.all(hits.map(async (h) => ({ ...summary(c, h), servers: await servers(h) }))),
    });
  });
  app.get('/:id/uptime', (c) => {
    const h = find(c, c.req.param('id'));
    return c.json({
      hypervisor: { ...summary(c, h), uptime: ' 00:00:00 up 0 min,  0 users,  load average: 0.00, 0.00, 0.00' },
    });
  });
  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    if (!atLeast(c, 53) && !/^\d+$/.test(id)) {
      throw notFound('compute.hypervisor_not_found', `Hypervisor with ID ${id} could not be found.`);
    }
    const h = find(c, id);
    const withServers = atLeast(c, 53) && c.req.query('with_servers') === 'true';
    return c.json({ hypervisor: { ...detail(c, h), ...(withServers ? { servers: await servers(h) } : {}) } });
  });
  return app;
}
