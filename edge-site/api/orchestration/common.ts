/** What orchestration routes share: the engine, stack lookup and request parsing. */
import type { Context } from 'hono';
import { BrumeError, badRequest } from '../../../shared/errors.ts';
import type { OrchestrationEngine, StackInput } from '../../orchestration/engine/service.ts';
import type { StackRow, StackStore } from '../../orchestration/engine/store.ts';
import type { ResourceType } from '../../orchestration/resources/types.ts';
import type { Caller } from '../../orchestration/sites.ts';
import type { SoftwareStore } from '../../orchestration/software.ts';
import { parseTemplateText } from '../../orchestration/template/template.ts';
import type { AppEnv } from '../env.ts';
import { isAdmin } from '../policy.ts';

/** The orchestration module as its routes see it. */
export interface OrchestrationContext {
  engine: OrchestrationEngine;
  store: StackStore;
  types: ReadonlyMap<string, ResourceType>;
  software: SoftwareStore;
}

/** The caller of the request (its project must be the URL's, unless admin). */
export function callerOf(c: Context<AppEnv>): Caller {
  const auth = c.var.auth;
  const project = c.req.param('project_id');
  if (!auth.project)
    throw new BrumeError('forbidden', 'orchestration.scope', 'A project-scoped token is required.', {
      type: 'Forbidden',
    });
  if (project && project !== auth.project.id && !isAdmin(auth)) {
    throw new BrumeError('forbidden', 'orchestration.project_mismatch', 'You are not authorized to use this project.', {
      type: 'Forbidden',
    });
  }
  return { token: auth.token, projectId: project ?? auth.project.id, userId: auth.userId, expiresAt: auth.expiresAt };
}

/** `…/v1/{project}` of the request, for links. */
export function baseOf(c: Context<AppEnv>): string {
  const url = new URL(c.req.url);
  const m = /^(.*\/v1\/[^/]+)/.exec(url.pathname);
  return `${url.origin}${m?.[1] ?? url.pathname}`;
}

export function stackNotFound(ident: string): BrumeError {
  return new BrumeError('not_found', 'orchestration.stack_not_found', `The Stack (${ident}) could not be found.`, {
    type: 'EntityNotFound',
  });
}

/** A stack of the caller's project by name or id (live ones by name; by id also deleted ones). */
export async function findStack(ctx: OrchestrationContext, caller: Caller, ident: string): Promise<StackRow> {
  const byName = await ctx.store.stackByName(caller.projectId, ident);
  if (byName) return byName;
  const byId = await ctx.store.stack(ident);
  if (byId && byId.projectId === caller.projectId && byId.action !== 'ABANDON') return byId;
  throw stackNotFound(ident);
}

/** The stack at `/stacks/{name}/{id}`: both must match. */
export async function stackAt(ctx: OrchestrationContext, c: Context<AppEnv>): Promise<StackRow> {
  const caller = callerOf(c);
  const name = c.req.param('stack_name') ?? '';
  const id = c.req.param('stack_id') ?? '';
  const s = await ctx.store.stack(id);
  if (!s || s.projectId !== caller.projectId || (s.name !== name && s.id !== name) || s.action === 'ABANDON')
    throw stackNotFound(`${name}/${id}`);
  return s;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The template of a request body: `template` (object or text); `template_url` is not fetched. */
export function templateOf(body: Record<string, unknown>): unknown {
  const t = body.template;
  if (typeof t === 'string') return parseTemplateText(t);
  if (isMap(t)) return t;
  if (body.template_url !== undefined)
    throw badRequest('orchestration.template_url', 'template_url is not supported: send the template itself.');
  throw badRequest('orchestration.no_template', 'No template specified');
}

/** Given parameters: environment `parameter_defaults` and `parameters`, then the body's. */
export function parametersOf(body: Record<string, unknown>, template: unknown): Record<string, unknown> {
  const env = isMap(body.environment) ? body.environment : {};
  const declared = isMap(template) && isMap(template.parameters) ? template.parameters : {};
  const defaults = isMap(env.parameter_defaults) ? env.parameter_defaults : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(defaults)) if (k in declared) out[k] = v;
  Object.assign(out, isMap(env.parameters) ? env.parameters : {}, isMap(body.parameters) ? body.parameters : {});
  return out;
}

/** The create/update input of a body. */
export function stackInput(
  body: Record<string, unknown>,
  name: string,
  template: unknown,
  parameters: Record<string, unknown>,
): StackInput {
  const tags = body.tags;
  const timeout = body.timeout_mins;
  return {
    name,
    template,
    parameters,
    environment: isMap(body.environment) ? body.environment : {},
    files: isMap(body.files) ? Object.fromEntries(Object.entries(body.files).map(([k, v]) => [k, String(v)])) : {},
    disableRollback:
      body.disable_rollback === undefined
        ? true
        : body.disable_rollback === true || body.disable_rollback === 'true' || body.disable_rollback === 'True',
    timeoutMins: timeout === undefined || timeout === null ? null : Number(timeout),
    tags: Array.isArray(tags) ? tags.map(String) : typeof tags === 'string' && tags !== '' ? tags.split(',') : [],
  };
}

/** The body as an object (400 otherwise). */
export function bodyMap(raw: unknown): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!isMap(raw)) throw badRequest('api.invalid_body', 'The request body must be a JSON object.');
  return raw;
}
