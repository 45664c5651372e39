/** `/v1/{project}/stacks`: create, list, preview, show, update (PUT/PATCH), delete, abandon, and name redirects. */
import { type Context, Hono } from 'hono';
import { badRequest } from '../../../shared/errors.ts';
import { pseudoParams } from '../../orchestration/engine/runtime.ts';
import { NESTED_TAG } from '../../orchestration/resources/nested.ts';
import { resolveParameters, shownParameters } from '../../orchestration/template/parameters.ts';
import { loadTemplate } from '../../orchestration/template/template.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { requireRole } from '../policy.ts';
import {
  baseOf,
  bodyMap,
  callerOf,
  findStack,
  type OrchestrationContext,
  parametersOf,
  stackAt,
  stackInput,
  templateOf,
} from './common.ts';
import { stackDetail, stackHref, stackSummary } from './views.ts';

const STACK_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$/;

/** Sub-resources of a stack reached by name only, redirected to name/id like Heat. */
export const STACK_SUBPATHS =
  '(?:resources|events|outputs|template|environment|files|abandon|export|actions|snapshots)';

async function parametersShown(
  ctx: OrchestrationContext,
  s: Parameters<typeof stackDetail>[1],
): Promise<Record<string, string>> {
  try {
    const t = loadTemplate(s.template);
    return shownParameters(t, await resolveParameters(t, s.parameters), pseudoParams(s));
  } catch {
    void ctx;
    return pseudoParams(s);
  }
}

/** The stacks sub-app (mounted at `/v1/:project_id/stacks`). */
export function stackRoutes(ctx: OrchestrationContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => {
    const caller = callerOf(c);
    const q = c.req.queries();
    let rows = await ctx.store.listStacks(caller.projectId);
    // Nested stacks are hidden, like Heat's hidden_stack_tags, unless asked for.
    if (c.req.query('show_hidden') !== 'true' && c.req.query('show_nested') !== 'true') {
      rows = rows.filter((r) => !r.tags.includes(NESTED_TAG));
    }
    const match = (key: string, value: (r: (typeof rows)[number]) => string) => {
      const want = q[key];
      if (want && want.length > 0) rows = rows.filter((r) => want.includes(value(r)));
    };
    match('name', (r) => r.name);
    match('id', (r) => r.id);
    match('status', (r) => r.status);
    match('action', (r) => r.action);
    const tags = c.req.query('tags');
    if (tags) rows = rows.filter((r) => tags.split(',').every((t) => r.tags.includes(t)));
    if (c.req.query('sort_dir') !== 'asc') rows.reverse();
    const marker = c.req.query('marker');
    if (marker) {
      const i = rows.findIndex((r) => r.id === marker);
      rows = i >= 0 ? rows.slice(i + 1) : rows;
    }
    const limit = Number(c.req.query('limit') ?? Number.NaN);
    if (Number.isInteger(limit) && limit >= 0) rows = rows.slice(0, limit);
    const base = baseOf(c);
    return c.json({ stacks: rows.map((r) => stackSummary(base, r, c.var.auth.userName)) });
  });

  app.post('/', async (c) => {
    requireRole(c.var.auth, 'member', 'stacks:create');
    const caller = callerOf(c);
    const body = bodyMap(await jsonBody(c));
    const name = String(body.stack_name ?? '');
    if (!STACK_NAME.test(name)) {
      throw badRequest(
        'orchestration.stack_name',
        `Invalid stack name ${name} must contain only alphanumeric or "_-." characters, must start with alpha and must be 255 characters or less.`,
      );
    }
    const template = templateOf(body);
    const stack = await ctx.engine.create(caller, stackInput(body, name, template, parametersOf(body, template)));
    const href = stackHref(baseOf(c), stack);
    c.header('Location', href);
    return c.json({ stack: { id: stack.id, links: [{ href, rel: 'self' }] } }, 201);
  });

  app.post('/preview', async (c) => {
    const caller = callerOf(c);
    const body = bodyMap(await jsonBody(c));
    const name = String(body.stack_name ?? '');
    const template = templateOf(body);
    const { stack, prepared } = await ctx.engine.preview(
      caller,
      stackInput(body, name, template, parametersOf(body, template)),
    );
    const base = baseOf(c);
    const resources = [...prepared.graph.keys()].map((n) => ({
      resource_name: n,
      resource_type: prepared.template.resources[n]?.type,
      resource_action: 'INIT',
      resource_status: 'COMPLETE',
      resource_status_reason: '',
      resource_identity: { stack_name: name, stack_id: stack.id, tenant: caller.projectId, path: `/resources/${n}` },
      stack_name: name,
      stack_identity: { stack_name: name, stack_id: stack.id, tenant: caller.projectId, path: '' },
      physical_resource_id: '',
      required_by: [...prepared.graph].filter(([, d]) => d.has(n)).map(([k]) => k),
      properties: prepared.template.resources[n]?.properties ?? {},
    }));
    const parameters = shownParameters(prepared.template, prepared.params, pseudoParams(stack));
    return c.json({ stack: { ...stackDetail(base, stack, { parameters }), resources } });
  });

  const redirect = async (c: Context<AppEnv>) => {
    const caller = callerOf(c);
    const ident = c.req.param('stack_ident') ?? '';
    const s = await findStack(ctx, caller, ident);
    const url = new URL(c.req.url);
    const prefix = `/stacks/${encodeURIComponent(ident)}`;
    const at = url.pathname.indexOf(prefix);
    const rest = at >= 0 ? url.pathname.slice(at + prefix.length) : '';
    return c.redirect(`${stackHref(baseOf(c), s)}${rest}${url.search}`, 302);
  };
  app.on(['GET', 'PUT', 'PATCH', 'DELETE'], '/:stack_ident', redirect);
  app.all(`/:stack_ident/:sub{${STACK_SUBPATHS}}`, redirect);
  app.all(`/:stack_ident/:sub{${STACK_SUBPATHS}}/*`, redirect);

  app.get('/:stack_name/:stack_id', async (c) => {
    const s = await stackAt(ctx, c);
    const caller = callerOf(c);
    const resolveOutputs = c.req.query('resolve_outputs') !== 'False' && c.req.query('resolve_outputs') !== 'false';
    const outputs = resolveOutputs ? await ctx.engine.outputs(caller, s) : undefined;
    const detail = stackDetail(baseOf(c), s, {
      parameters: await parametersShown(ctx, s),
      owner: c.var.auth.userName,
      ...(outputs ? { outputs } : {}),
    });
    return c.json({ stack: detail });
  });

  const update = (patch: boolean) => async (c: Context<AppEnv>) => {
    requireRole(c.var.auth, 'member', 'stacks:update');
    const s = await stackAt(ctx, c);
    const caller = callerOf(c);
    const body = bodyMap(await jsonBody(c));
    const existing =
      patch && (body.template === undefined || body.template === null || body.existing === true) && !body.template_url;
    const template = existing ? s.template : templateOf(body);
    let parameters = parametersOf(body, template);
    if (patch) {
      parameters = { ...s.parameters, ...parameters };
      const clear = Array.isArray(body.clear_parameters) ? body.clear_parameters.map(String) : [];
      for (const k of clear) delete parameters[k];
    }
    const input = stackInput(body, s.name, template, parameters);
    if (patch) {
      if (body.disable_rollback === undefined) input.disableRollback = s.disableRollback;
      if (body.timeout_mins === undefined) input.timeoutMins = s.timeoutMins;
      if (body.tags === undefined) input.tags = s.tags;
      if (body.environment === undefined) input.environment = s.environment;
      input.files = { ...s.files, ...input.files };
    }
    await ctx.engine.update(caller, s, input);
    return c.body(null, 202);
  };
  app.put('/:stack_name/:stack_id', update(false));
  app.patch('/:stack_name/:stack_id', update(true));

  app.delete('/:stack_name/:stack_id', async (c) => {
    requireRole(c.var.auth, 'member', 'stacks:delete');
    const s = await stackAt(ctx, c);
    if (s.deletedAt !== null) return c.body(null, 204);
    await ctx.engine.delete(callerOf(c), s);
    return c.body(null, 204);
  });

  app.delete('/:stack_name/:stack_id/abandon', async (c) => {
    requireRole(c.var.auth, 'member', 'stacks:abandon');
    const s = await stackAt(ctx, c);
    return c.json(await ctx.engine.abandon(callerOf(c), s));
  });

  app.get('/:stack_name/:stack_id/template', async (c) => c.json((await stackAt(ctx, c)).template));
  app.get('/:stack_name/:stack_id/environment', async (c) => {
    const env = (await stackAt(ctx, c)).environment;
    return c.json({
      parameters: {},
      parameter_defaults: {},
      resource_registry: { resources: {} },
      event_sinks: [],
      encrypted_param_names: [],
      ...env,
    });
  });
  app.get('/:stack_name/:stack_id/files', async (c) => {
    return c.json((await stackAt(ctx, c)).files);
  });
  return app;
}
