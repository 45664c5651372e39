/**
 * Template resources (nested stacks): a resource whose type is a template file sent with the stack (`files`), or a
 * type the environment's `resource_registry` maps to one. It becomes a child stack made through the Heat API of
 * the resource's site, with the resource's properties as parameters and the child's outputs as attributes.
 */
import { BrumeError } from '../../../shared/errors.ts';
import { isNotFound } from '../cloud.ts';
import { loadTemplate, parseTemplateText } from '../template/template.ts';
import { physicalName, type ResourceContext, type ResourceType } from './types.ts';

/** The tag that hides child stacks from listings (Heat's hidden_stack_tags). */
export const NESTED_TAG = 'brume-nested';

interface StackView {
  stack_status: string;
  stack_status_reason: string;
}

async function childStatus(ctx: ResourceContext, id: string): Promise<StackView | null> {
  try {
    return (
      await ctx.cloud.call<{ stack: StackView }>('orchestration', 'GET', `/stacks/${id}/${id}?resolve_outputs=false`)
    ).stack;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function waitChild(ctx: ResourceContext, id: string, action: string): Promise<void> {
  await ctx.waitFor(`nested stack ${action}`, async () => {
    const s = await childStatus(ctx, id);
    if (!s) return action === 'DELETE';
    if (s.stack_status === `${action}_FAILED`)
      throw new Error(`Nested stack ${action} failed: ${s.stack_status_reason}`);
    return s.stack_status === `${action}_COMPLETE`;
  });
}

/** A resource type for the template `text` (files and environment passed on to the child). */
export function templateResourceType(text: string, files: Record<string, string>): ResourceType {
  const raw = parseTemplateText(text);
  const t = loadTemplate(raw);
  const childBody = (p: Record<string, unknown>) => ({
    template: raw,
    parameters: Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)),
    files,
    disable_rollback: true,
    tags: [NESTED_TAG],
  });
  return {
    description: t.description,
    properties: Object.fromEntries(
      Object.entries(t.parameters).map(([k, d]) => [
        k,
        { type: 'any', required: d.default === undefined, update_allowed: true, description: d.description ?? '' },
      ]),
    ),
    attributes: {
      ...Object.fromEntries(Object.entries(t.outputs).map(([k, o]) => [k, o.description ?? ''])),
      'OS::stack_id': 'The nested stack id.',
    },
    async create(ctx, p) {
      const r = await ctx.cloud.call<{ stack: { id: string } }>('orchestration', 'POST', '/stacks', {
        stack_name: physicalName(ctx),
        ...childBody(p),
      });
      return r.stack.id;
    },
    async checkCreate(ctx, id) {
      await waitChild(ctx, id, 'CREATE');
    },
    async update(ctx, id, p) {
      await ctx.cloud.call('orchestration', 'PUT', `/stacks/${id}/${id}`, childBody(p));
      await waitChild(ctx, id, 'UPDATE');
    },
    async delete(ctx, id) {
      try {
        await ctx.cloud.call('orchestration', 'DELETE', `/stacks/${id}/${id}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await waitChild(ctx, id, 'DELETE');
    },
    async attribute(ctx, id, name) {
      if (name === 'OS::stack_id') return id;
      try {
        const r = await ctx.cloud.call<{ output: { output_value: unknown } }>(
          'orchestration',
          'GET',
          `/stacks/${id}/${id}/outputs/${encodeURIComponent(name)}`,
        );
        return r.output.output_value ?? null;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  };
}

/** Types a stack defines through its files and environment, by type name. */
export function stackTypes(
  files: Record<string, string>,
  environment: Record<string, unknown>,
  builtins: ReadonlyMap<string, ResourceType>,
): Map<string, ResourceType> {
  const out = new Map<string, ResourceType>();
  const add = (name: string, key: string) => {
    const text = files[key];
    if (text === undefined) return;
    try {
      out.set(name, templateResourceType(text, files));
    } catch (err) {
      if (err instanceof BrumeError)
        throw new BrumeError(err.kind, err.code, `Failed to parse template ${key}: ${err.message}`, {
          type: 'StackValidationFailed',
        });
      throw err;
    }
  };
  for (const key of Object.keys(files))
    if (/\.(ya?ml|template|json)$/.test(key)) {
      try {
        add(key, key);
      } catch {
        // A file that is not a template (e.g. a script that get_file reads) is no type.
      }
    }
  const registry = environment.resource_registry;
  if (typeof registry === 'object' && registry !== null) {
    for (const [name, target] of Object.entries(registry as Record<string, unknown>)) {
      if (typeof target !== 'string' || name === 'resources') continue;
      const builtin = builtins.get(target);
      if (builtin) out.set(name, builtin);
      else add(name, target);
    }
  }
  return out;
}
