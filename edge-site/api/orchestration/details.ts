/** A stack's resources, events and outputs (mounted at `/v1/:project_id/stacks/:stack_name/:stack_id`). */
import { Hono } from 'hono';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import type { EventRow, ResourceRow } from '../../orchestration/engine/store.ts';
import { recordSignal } from '../../orchestration/resources/wait.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { baseOf, bodyMap, callerOf, type OrchestrationContext, stackAt } from './common.ts';
import { eventView, resourceView } from './views.ts';

/** The newest row per resource name (a replacement shows instead of the original). */
function current(rows: ResourceRow[]): ResourceRow[] {
  const m = new Map<string, ResourceRow>();
  for (const r of rows) m.set(r.name, r);
  return [...m.values()];
}

function resourceNotFound(name: string, stack: string): BrumeError {
  return new BrumeError(
    'not_found',
    'orchestration.resource_not_found',
    `The Resource (${name}) could not be found in Stack ${stack}.`,
    {
      type: 'ResourceNotFound',
    },
  );
}

function pageEvents(events: EventRow[], q: Record<string, string | undefined>): EventRow[] {
  let out = events;
  if (q.resource_name) out = out.filter((e) => e.resourceName === q.resource_name);
  if (q.resource_status)
    out = out.filter((e) => e.status === q.resource_status || `${e.action}_${e.status}` === q.resource_status);
  if (q.resource_action) out = out.filter((e) => e.action === q.resource_action);
  if (q.resource_type) out = out.filter((e) => e.resourceType === q.resource_type);
  if (q.sort_dir === 'desc') out = [...out].reverse();
  if (q.marker) {
    const i = out.findIndex((e) => e.id === q.marker);
    if (i >= 0) out = out.slice(i + 1);
  }
  const limit = Number(q.limit ?? Number.NaN);
  if (Number.isInteger(limit) && limit >= 0) out = out.slice(0, limit);
  return out;
}

/** The per-stack sub-app. */
export function stackDetailRoutes(ctx: OrchestrationContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/resources', async (c) => {
    const s = await stackAt(ctx, c);
    const req = await ctx.engine.requiredBy(s);
    let rows = current(await ctx.store.resources(s.id));
    const type = c.req.query('type');
    if (type) rows = rows.filter((r) => r.type === type);
    const name = c.req.query('name');
    if (name) rows = rows.filter((r) => r.name === name);
    const base = baseOf(c);
    return c.json({ resources: rows.map((r) => resourceView(base, s, r, req.get(r.name) ?? [])) });
  });

  const loadResource = async (c: Parameters<typeof stackAt>[1]) => {
    const s = await stackAt(ctx, c);
    const name = c.req.param('resource_name') ?? '';
    const row = current(await ctx.store.resources(s.id)).find((r) => r.name === name);
    if (!row) throw resourceNotFound(name, s.name);
    return { s, row };
  };

  app.get('/resources/:resource_name', async (c) => {
    const { s, row } = await loadResource(c);
    const req = await ctx.engine.requiredBy(s);
    const attributes = await ctx.engine.attributes(callerOf(c), s, row);
    const def = (s.template.resources as Record<string, { metadata?: unknown }> | undefined)?.[row.name];
    return c.json({
      resource: {
        ...resourceView(baseOf(c), s, row, req.get(row.name) ?? []),
        attributes,
        description: '',
        ...(def?.metadata ? { metadata: def.metadata } : {}),
      },
    });
  });

  // Heat's mark-unhealthy: the resource shows CHECK_FAILED and the next update replaces it.
  app.patch('/resources/:resource_name', async (c) => {
    const { row } = await loadResource(c);
    const body = bodyMap(await jsonBody(c));
    if (typeof body.mark_unhealthy !== 'boolean')
      throw badRequest('orchestration.mark_unhealthy', '"mark_unhealthy" is required and must be a boolean.');
    const reason = typeof body.resource_status_reason === 'string' ? body.resource_status_reason : '';
    await ctx.store.updateResource(
      row.id,
      body.mark_unhealthy
        ? { action: 'CHECK', status: 'FAILED', statusReason: reason }
        : { action: 'CHECK', status: 'COMPLETE', statusReason: reason },
    );
    return c.json(null, 200);
  });

  app.post('/resources/:resource_name/signal', async (c) => {
    const { row } = await loadResource(c);
    if (row.type === 'OS::Heat::WaitConditionHandle' && row.physicalId) {
      const body = bodyMap(await jsonBody(c));
      await ctx.store.updateResource(row.id, { data: recordSignal(row.data, body) });
      return c.body(null, 200);
    }
    throw badRequest(
      'orchestration.no_signal',
      `Signal resource during ${row.action} is not supported: ${row.type} does not accept signals.`,
    );
  });

  app.get('/resources/:resource_name/metadata', async (c) => {
    const { s, row } = await loadResource(c);
    const def = (s.template.resources as Record<string, { metadata?: unknown }> | undefined)?.[row.name];
    return c.json({ metadata: def?.metadata ?? {} });
  });

  app.get('/events', async (c) => {
    const s = await stackAt(ctx, c);
    const base = baseOf(c);
    return c.json({
      events: pageEvents(await ctx.store.events(s.id), c.req.query()).map((e) => eventView(base, s, e)),
    });
  });

  app.get('/resources/:resource_name/events', async (c) => {
    const { s, row } = await loadResource(c);
    const base = baseOf(c);
    const events = (await ctx.store.events(s.id)).filter((e) => e.resourceName === row.name);
    return c.json({ events: pageEvents(events, c.req.query()).map((e) => eventView(base, s, e)) });
  });

  app.get('/resources/:resource_name/events/:event_id', async (c) => {
    const s = await stackAt(ctx, c);
    const name = c.req.param('resource_name');
    const e = (await ctx.store.events(s.id)).find((x) => x.id === c.req.param('event_id') && x.resourceName === name);
    if (!e)
      throw new BrumeError(
        'not_found',
        'orchestration.event_not_found',
        `The Event (${c.req.param('event_id')}) could not be found.`,
        { type: 'EntityNotFound' },
      );
    return c.json({ event: eventView(baseOf(c), s, e, true) });
  });

  app.get('/outputs', async (c) => {
    const s = await stackAt(ctx, c);
    const outputs = Object.entries((s.template.outputs ?? {}) as Record<string, { description?: string }>).map(
      ([k, v]) => ({
        output_key: k,
        description: v?.description ?? 'No description given',
      }),
    );
    return c.json({ outputs });
  });

  app.get('/outputs/:output_key', async (c) => {
    const s = await stackAt(ctx, c);
    const key = c.req.param('output_key');
    const [out] = await ctx.engine.outputs(callerOf(c), s, [key]);
    if (!out) {
      throw new BrumeError('not_found', 'orchestration.output_not_found', `Specified output key ${key} not found.`, {
        type: 'NotFound',
      });
    }
    return c.json({ output: out });
  });
  return app;
}
