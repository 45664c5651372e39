/**
 * HOT intrinsic functions: resolves a template snippet against a context (parameters, resources, conditions).
 * Pure apart from what the context does; attribute reads are asynchronous because they may ask the cloud.
 */
import { createHash } from 'node:crypto';
import { BrumeError } from '../../../shared/errors.ts';

/** What resolution reads. */
export interface ResolveContext {
  /** The value of a (validated) parameter; undefined when unknown. */
  param(name: string): unknown;
  hasParam(name: string): boolean;
  /** The physical id of a resource (null when not created), undefined when the template has no such resource. */
  resourceId(name: string): string | null | undefined;
  /** An attribute of a resource (null while not created). */
  attribute(name: string, attr: string, path: unknown[]): Promise<unknown>;
  /** A named condition's value. */
  condition(name: string): boolean;
  /** Pseudo parameters (OS::stack_name, OS::stack_id, OS::project_id). */
  pseudo: Record<string, string>;
  /** Files sent with the template (`get_file` targets). */
  files?: Record<string, string>;
}

function fnError(message: string): BrumeError {
  return new BrumeError('bad_request', 'orchestration.function_invalid', message, { type: 'StackValidationFailed' });
}

const FUNCTIONS = new Set([
  'get_param',
  'get_resource',
  'get_attr',
  'str_replace',
  'str_replace_strict',
  'list_join',
  'repeat',
  'digest',
  'if',
  'equals',
  'not',
  'and',
  'or',
  'str_split',
  'map_merge',
  'list_concat',
  'list_concat_unique',
  'contains',
  'get_file',
  'resource_facade',
]);

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The function call a snippet is, if it is one: `{fn_name: args}` with one key. */
export function functionCall(v: unknown): [string, unknown] | undefined {
  if (!isMap(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1) return undefined;
  const k = keys[0] as string;
  return FUNCTIONS.has(k) ? [k, v[k]] : undefined;
}

/** Resource names a snippet refers to through get_resource / get_attr (for the dependency graph). */
export function referencedResources(v: unknown, out = new Set<string>()): Set<string> {
  const call = functionCall(v);
  if (call) {
    const [fn, args] = call;
    if (fn === 'get_resource' && typeof args === 'string') out.add(args);
    if (fn === 'get_attr' && Array.isArray(args) && typeof args[0] === 'string') out.add(args[0]);
  }
  if (Array.isArray(v)) for (const x of v) referencedResources(x, out);
  else if (isMap(v)) for (const x of Object.values(v)) referencedResources(x, out);
  return out;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function walkPath(value: unknown, path: unknown[]): unknown {
  let cur = value;
  for (const p of path) {
    if (cur === null || cur === undefined) return null;
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isMap(cur)) cur = cur[String(p)];
    else return null;
  }
  return cur ?? null;
}

/** Evaluates a condition expression (a condition name, a boolean, or equals/not/and/or/contains). */
export async function evaluateCondition(expr: unknown, ctx: ResolveContext): Promise<boolean> {
  if (typeof expr === 'boolean') return expr;
  if (typeof expr === 'string') {
    if (expr === 'true' || expr === 'false') return expr === 'true';
    return ctx.condition(expr);
  }
  const v = await resolve(expr, ctx);
  if (typeof v !== 'boolean') throw fnError(`Invalid condition: ${JSON.stringify(expr)}`);
  return v;
}

/** Resolves every intrinsic function in `snippet`. */
export async function resolve(snippet: unknown, ctx: ResolveContext): Promise<unknown> {
  const call = functionCall(snippet);
  if (call) return callFunction(call[0], call[1], ctx);
  if (Array.isArray(snippet)) return Promise.all(snippet.map((x) => resolve(x, ctx)));
  if (isMap(snippet)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(snippet)) out[k] = await resolve(v, ctx);
    return out;
  }
  return snippet;
}

async function callFunction(fn: string, rawArgs: unknown, ctx: ResolveContext): Promise<unknown> {
  switch (fn) {
    case 'get_param': {
      const args = Array.isArray(rawArgs)
        ? ((await resolve(rawArgs, ctx)) as unknown[])
        : [await resolve(rawArgs, ctx)];
      const name = String(args[0]);
      if (name in ctx.pseudo) return ctx.pseudo[name];
      if (!ctx.hasParam(name)) throw fnError(`The Parameter (${name}) was not defined in template.`);
      return walkPath(ctx.param(name), args.slice(1));
    }
    case 'get_resource': {
      const name = String(await resolve(rawArgs, ctx));
      const id = ctx.resourceId(name);
      if (id === undefined) throw fnError(`The specified reference "${name}" (in unknown) is incorrect.`);
      return id;
    }
    case 'get_attr': {
      if (!Array.isArray(rawArgs) || rawArgs.length < 2) {
        throw fnError('Arguments to "get_attr" must be of the form [resource_name, attribute, (path), ...]');
      }
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      const name = String(args[0]);
      if (ctx.resourceId(name) === undefined)
        throw fnError(`The specified reference "${name}" (in unknown) is incorrect.`);
      return ctx.attribute(name, String(args[1]), args.slice(2));
    }
    case 'str_replace':
    case 'str_replace_strict': {
      const args = (await resolve(rawArgs, ctx)) as Record<string, unknown>;
      if (!isMap(args) || typeof args.template !== 'string' || !isMap(args.params)) {
        throw fnError(`"${fn}" parameters must be a mapping with "template" and "params"`);
      }
      // Longest keys first so that overlapping keys replace deterministically (Heat does the same).
      const keys = Object.keys(args.params).sort((a, b) => b.length - a.length);
      let out = args.template;
      for (const k of keys) {
        if (fn === 'str_replace_strict' && !out.includes(k))
          throw fnError(`The following params were not found in the template: ${k}`);
        out = out.split(k).join(str(args.params[k]));
      }
      return out;
    }
    case 'list_join': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || args.length < 2) throw fnError('Incorrect arguments to "list_join"');
      const items: unknown[] = [];
      for (const l of args.slice(1)) {
        if (!Array.isArray(l)) throw fnError('Incorrect arguments to "list_join": expected lists');
        items.push(...l);
      }
      return items.map(str).join(str(args[0]));
    }
    case 'repeat': {
      if (!isMap(rawArgs) || !('template' in rawArgs) || !isMap(rawArgs.for_each)) {
        throw fnError('"repeat" syntax should be {"for_each": {...}, "template": ...}');
      }
      const forEach = (await resolve(rawArgs.for_each, ctx)) as Record<string, unknown>;
      const keys = Object.keys(forEach);
      for (const k of keys)
        if (!Array.isArray(forEach[k]))
          throw fnError(`The values of the "for_each" argument to "repeat" must be lists`);
      const combos: Array<Record<string, unknown>> = [];
      if (rawArgs.permutations === false) {
        const n = Math.min(...keys.map((k) => (forEach[k] as unknown[]).length));
        for (let i = 0; i < n; i++) combos.push(Object.fromEntries(keys.map((k) => [k, (forEach[k] as unknown[])[i]])));
      } else {
        const rec = (i: number, acc: Record<string, unknown>) => {
          if (i === keys.length) return void combos.push(acc);
          const k = keys[i] as string;
          for (const v of forEach[k] as unknown[]) rec(i + 1, { ...acc, [k]: v });
        };
        if (keys.length > 0) rec(0, {});
      }
      const out: unknown[] = [];
      for (const c of combos) out.push(await resolve(substitute(rawArgs.template, c), ctx));
      return out;
    }
    case 'digest': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || args.length !== 2) throw fnError('Incorrect arguments to "digest"');
      const alg = String(args[0]).toLowerCase();
      if (!['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(alg)) {
        throw fnError(`Algorithm must be one of md5, sha1, sha224, sha256, sha384, sha512`);
      }
      return createHash(alg).update(str(args[1])).digest('hex');
    }
    case 'if': {
      if (!Array.isArray(rawArgs) || rawArgs.length !== 3)
        throw fnError('Arguments to "if" must be of the form [condition_name, value_if_true, value_if_false]');
      return resolve((await evaluateCondition(rawArgs[0], ctx)) ? rawArgs[1] : rawArgs[2], ctx);
    }
    case 'equals': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || args.length !== 2)
        throw fnError('Arguments to "equals" must be of the form: [value_1, value_2]');
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    }
    case 'not':
      return !(await evaluateCondition(rawArgs, ctx));
    case 'and':
    case 'or': {
      if (!Array.isArray(rawArgs) || rawArgs.length < 2)
        throw fnError(`Arguments to "${fn}" must be a list of at least two conditions`);
      const vals: boolean[] = [];
      for (const a of rawArgs) vals.push(await evaluateCondition(a, ctx));
      return fn === 'and' ? vals.every(Boolean) : vals.some(Boolean);
    }
    case 'contains': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || args.length !== 2 || !Array.isArray(args[1]))
        throw fnError('Arguments to "contains" must be [value, sequence]');
      return args[1].some((x) => JSON.stringify(x) === JSON.stringify(args[0]));
    }
    case 'str_split': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || args.length < 2) throw fnError('Incorrect arguments to "str_split"');
      const parts = str(args[1]).split(str(args[0]));
      return args.length > 2 ? (parts[Number(args[2])] ?? null) : parts;
    }
    case 'map_merge': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || !args.every((m) => m === null || isMap(m)))
        throw fnError('Incorrect arguments: Items to merge must be maps.');
      return Object.assign({}, ...args);
    }
    case 'list_concat':
    case 'list_concat_unique': {
      const args = (await resolve(rawArgs, ctx)) as unknown[];
      if (!Array.isArray(args) || !args.every(Array.isArray))
        throw fnError(`Incorrect arguments to "${fn}": expected lists`);
      const all = (args as unknown[][]).flat();
      if (fn === 'list_concat') return all;
      const seen = new Set<string>();
      return all.filter((x) => !seen.has(JSON.stringify(x)) && seen.add(JSON.stringify(x)));
    }
    case 'get_file': {
      const name = String(await resolve(rawArgs, ctx));
      const content = ctx.files?.[name];
      if (content === undefined) throw fnError(`No content found in the "files" section for get_file path: ${name}`);
      return content;
    }
    default:
      throw fnError(`The function "${fn}" is not supported.`);
  }
}

/** Replaces each key of `vars` by its value in every string of `template` (repeat's loop variables). */
export function substitute(template: unknown, vars: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    for (const [k, v] of Object.entries(vars)) {
      if (template === k) return v;
      template = (template as string).split(k).join(str(v));
    }
    return template;
  }
  if (Array.isArray(template)) return template.map((x) => substitute(x, vars));
  if (isMap(template)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[substitute(k, vars) as string] = substitute(v, vars);
    return out;
  }
  return template;
}
