/** What the engine reads back about a stack (outputs, attributes, dependents) and its housekeeping. */
import type { Logger } from '../../../shared/ports/logger.ts';
import { evaluateCondition, resolve } from '../template/functions.ts';
import { Recorder } from './operations.ts';
import { prepareStack } from './prepare.ts';
import { type EngineEnv, pseudoParams, StackRuntime } from './runtime.ts';
import type { ResourceRow, StackRow, StackStore } from './store.ts';

/** An output as the API shows it. */
export interface OutputView {
  output_key: string;
  output_value: unknown;
  description: string;
  output_error?: string;
}

/** The outputs of a stack (those whose condition holds), resolved now; errors go to `output_error`. */
export async function stackOutputs(rt: StackRuntime, keys?: string[]): Promise<OutputView[]> {
  const out: OutputView[] = [];
  const ctx = rt.resolveContext();
  for (const [key, def] of Object.entries(rt.prepared.template.outputs)) {
    if (keys && !keys.includes(key)) continue;
    const view: OutputView = {
      output_key: key,
      output_value: null,
      description: def.description ?? 'No description given',
    };
    try {
      if (def.condition !== undefined && !(await evaluateCondition(def.condition, ctx))) continue;
      view.output_value = await resolve(def.value, ctx);
    } catch (err) {
      view.output_error = err instanceof Error ? err.message : String(err);
    }
    out.push(view);
  }
  return out;
}

/** Every attribute of a resource's type, read now (null when unreadable). */
export async function resourceAttributes(rt: StackRuntime, row: ResourceRow): Promise<Record<string, unknown>> {
  const type = rt.types.get(row.type);
  if (!type || !row.physicalId) return {};
  const ctx = rt.resourceContext(row);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(type.attributes)) {
    try {
      out[name] = await type.attribute(ctx, row.physicalId, name);
    } catch {
      out[name] = null;
    }
  }
  return out;
}

/** Heat's `required_by`: resource name -> the resources that depend on it, from the stack's template. */
export async function requiredByOf(stack: StackRow, knownTypes: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  try {
    const prepared = await prepareStack({
      template: stack.template,
      parameters: stack.parameters,
      pseudo: pseudoParams(stack),
      knownTypes,
    });
    for (const [n, deps] of prepared.graph) for (const d of deps) out.set(d, [...(out.get(d) ?? []), n]);
  } catch {
    // No graph for a stack whose definition no longer checks.
  }
  return out;
}

/** Forgets a stack, keeping its cloud resources; returns Heat's abandon document. */
export async function abandonStack(store: StackStore, now: number, stack: StackRow): Promise<Record<string, unknown>> {
  const rows = await store.resources(stack.id);
  const data = {
    id: stack.id,
    name: stack.name,
    action: stack.action,
    status: stack.status,
    template: stack.template,
    environment: stack.environment,
    project_id: stack.projectId,
    stack_user_project_id: stack.projectId,
    resources: Object.fromEntries(
      rows.map((r) => [
        r.name,
        {
          name: r.name,
          resource_id: r.physicalId,
          type: r.type,
          action: r.action,
          status: r.status,
          metadata: {},
          resource_data: r.data,
        },
      ]),
    ),
  };
  for (const r of rows) await store.deleteResource(r.id);
  await store.updateStack(stack.id, {
    action: 'ABANDON',
    status: 'COMPLETE',
    statusReason: 'Stack abandoned',
    deletedAt: now,
    updatedAt: now,
  });
  return data;
}

/** Stacks a previous run of the site left IN_PROGRESS end FAILED, "site restarted" (their resources too). */
export async function failInterrupted(env: EngineEnv, store: StackStore, log: Logger): Promise<void> {
  for (const stack of await store.inProgress()) {
    const empty = {
      template: {
        version: '',
        description: '',
        parameters: {},
        parameterGroups: [],
        conditions: {},
        resources: {},
        outputs: {},
        raw: {},
      },
      params: {},
      conditions: {},
      active: new Set<string>(),
      graph: new Map(),
    };
    const rt = new StackRuntime(env, stack, empty, { token: '', projectId: stack.projectId, userId: stack.userId }, []);
    const rec = new Recorder(store, rt);
    for (const r of await store.resources(stack.id)) {
      if (r.status === 'IN_PROGRESS')
        await rec.resource(r, { action: r.action, status: 'FAILED', statusReason: 'site restarted' });
    }
    await rec.stack(stack.action, 'FAILED', 'site restarted');
    log.warn({ stack: stack.id }, 'stack operation interrupted by a restart marked FAILED');
  }
}
