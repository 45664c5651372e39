/**
 * `/v2.1/os-aggregates` (admin): host aggregates with metadata, stored in the site's database. The aggregate's
 * `availability_zone` is recorded and shown (and kept in its metadata, as Nova does); zones for scheduling still
 * come from the agents.
 */
import { eq } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../../../shared/errors.ts';
import type { ComputeContext } from '../../compute/context.ts';
import { isoMicro } from '../../compute/links.ts';
import { atLeast } from '../../compute/microversion.ts';
import { computeAggregates } from '../../db/schema/compute.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';

type AggregateRow = typeof computeAggregates.$inferSelect;

const name = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => s.trim() !== '', 'Invalid input: the name must not be blank');
const zone = z.string().min(1).max(255).nullable();
const createSchema = z.object({ aggregate: z.object({ name, availability_zone: zone.optional() }).strict() });
const updateSchema = z.object({
  aggregate: z
    .object({ name: name.optional(), availability_zone: zone.optional() })
    .strict()
    .refine((a) => a.name !== undefined || a.availability_zone !== undefined, 'name or availability_zone needed'),
});
const hostArg = z.object({ host: z.string().min(1).max(255) }).strict();
const metaArg = z.object({ metadata: z.record(z.string().min(1).max(255), z.string().max(255).nullable()) }).strict();

/** The aggregates sub-app. */
export function aggregateRoutes(ctx: ComputeContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const db = ctx.deps.db.db;
  const admin = (c: Context<AppEnv>, action: string) =>
    requireRole(c.var.auth, 'admin', `os_compute_api:os-aggregates:${action}`);

  const view = (c: Context<AppEnv>, a: AggregateRow, full = true) => ({
    id: a.id,
    ...(atLeast(c, 41) ? { uuid: a.uuid } : {}),
    name: a.name,
    availability_zone: a.availabilityZone,
    created_at: isoMicro(a.createdAt),
    updated_at: a.updatedAt === null ? null : isoMicro(a.updatedAt),
    deleted: false,
    deleted_at: null,
    ...(full
      ? {
          hosts: [...a.hosts],
          metadata: { ...a.metadata, ...(a.availabilityZone ? { availability_zone: a.availabilityZone } : {}) },
        }
      : {}),
  });
  const load = async (raw: string): Promise<AggregateRow> => {
    const [a] = /^\d+$/.test(raw)
      ? await db
          .select()
          .from(computeAggregates)
          .where(eq(computeAggregates.id, Number(raw)))
      : await db.select().from(computeAggregates).where(eq(computeAggregates.uuid, raw));
    if (!a) throw notFound('compute.aggregate_not_found', `Aggregate ${raw} could not be found.`);
    return a;
  };
  const nameFree = async (n: string, except?: number) => {
    const [other] = await db.select().from(computeAggregates).where(eq(computeAggregates.name, n));
    if (other && other.id !== except) {
      throw conflict('compute.aggregate_name_exists', `Aggregate ${n} already exists.`);
    }
  };
  const save = async (id: number, patch: Partial<Omit<AggregateRow, 'id'>>) => {
    const [a] = await db
      .update(computeAggregates)
      .set({ ...patch, updatedAt: ctx.deps.clock.now() })
      .where(eq(computeAggregates.id, id))
      .returning();
    if (!a) throw notFound('compute.aggregate_not_found', `Aggregate ${id} could not be found.`);
    return a;
  };

  app.get('/', async (c) => {
    admin(c, 'index');
    const rows = await db.select().from(computeAggregates);
    return c.json({ aggregates: rows.map((a) => view(c, a)) });
  });
  app.get('/:id', async (c) => {
    admin(c, 'show');
    return c.json({ aggregate: view(c, await load(c.req.param('id'))) });
  });
  app.post('/', async (c) => {
    admin(c, 'create');
    const { aggregate: b } = await jsonBody(c, createSchema);
    await nameFree(b.name);
    const [a] = await db
      .insert(computeAggregates)
      .values({
        uuid: ctx.deps.ids.uuid(),
        name: b.name,
        availabilityZone: b.availability_zone ?? null,
        hosts: [],
        metadata: {},
        createdAt: ctx.deps.clock.now(),
        updatedAt: null,
      })
      .returning();
    if (!a) throw new Error('aggregate insert returned no row');
    return c.json({ aggregate: view(c, a, false) });
  });
  app.put('/:id', async (c) => {
    admin(c, 'update');
    const { aggregate: b } = await jsonBody(c, updateSchema);
    const a = await load(c.req.param('id'));
    if (b.name !== undefined) await nameFree(b.name, a.id);
    const next = await save(a.id, {
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.availability_zone !== undefined ? { availabilityZone: b.availability_zone } : {}),
    });
    return c.json({ aggregate: view(c, next) });
  });
  app.delete('/:id', async (c) => {
    admin(c, 'delete');
    const a = await load(c.req.param('id'));
    if (a.hosts.length > 0) {
      throw badRequest('compute.aggregate_not_empty', `Cannot delete aggregate ${a.id}: it still has hosts.`);
    }
    await db.delete(computeAggregates).where(eq(computeAggregates.id, a.id));
    return c.body(null, 200);
  });
  app.post('/:id/action', async (c) => {
    const body = await jsonBody<Record<string, unknown>>(c);
    const [action, arg] = Object.entries(body ?? {})[0] ?? ['', undefined];
    admin(c, action === 'set_metadata' ? 'set_metadata' : action === 'add_host' ? 'add_host' : 'remove_host');
    const a = await load(c.req.param('id'));
    if (action === 'add_host' || action === 'remove_host') {
      const parsed = hostArg.safeParse(arg);
      if (!parsed.success) throw badRequest('api.invalid_body', `Invalid input for ${action}.`);
      const host = parsed.data.host;
      if (!ctx.services.fleet.host(host)) {
        throw notFound('compute.host_not_found', `Compute host ${host} could not be found.`);
      }
      const has = a.hosts.includes(host);
      if (action === 'add_host' && has) {
        throw conflict('compute.aggregate_host_exists', `Aggregate ${a.id} already has host ${host}.`);
      }
      if (action === 'remove_host' && !has) {
        throw notFound('compute.aggregate_host_not_found', `Cannot remove host ${host} in aggregate ${a.id}`);
      }
      const hosts = action === 'add_host' ? [...a.hosts, host] : a.hosts.filter((h) => h !== host);
      return c.json({ aggregate: view(c, await save(a.id, { hosts })) });
    }
    if (action === 'set_metadata') {
      const parsed = metaArg.safeParse(arg);
      if (!parsed.success) throw badRequest('api.invalid_body', 'Invalid input for set_metadata.');
      const metadata = { ...a.metadata };
      let availabilityZone = a.availabilityZone;
      for (const [k, v] of Object.entries(parsed.data.metadata)) {
        if (k === 'availability_zone') availabilityZone = v;
        else if (v === null) delete metadata[k];
        else metadata[k] = v;
      }
      return c.json({ aggregate: view(c, await save(a.id, { metadata, availabilityZone })) });
    }
    throw badRequest('compute.action_not_supported', `There is no such action: ${action}`);
  });
  return app;
}
