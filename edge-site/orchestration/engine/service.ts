/** The orchestration engine as the API uses it: starts operations in the background and answers reads. */
import { BrumeError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import { stackTypes } from '../resources/nested.ts';
import type { Caller } from '../sites.ts';
import { evaluateCondition, resolve } from '../template/functions.ts';
import { Recorder, runCreate, runDelete, runUpdate } from './operations.ts';
import { type PreparedStack, prepareStack } from './prepare.ts';
import { type EngineEnv, pseudoParams, StackRuntime } from './runtime.ts';
import type { ResourceRow, StackRow, StackStore } from './store.ts';

/** A create or update request (Heat's stack body, template already parsed). */
export interface StackInput {
  name: string;
  template: unknown;
  parameters: Record<string, unknown>;
  environment: Record<string, unknown>;
  files: Record<string, string>;
  disableRollback: boolean;
  timeoutMins: number | null;
  tags: string[];
}

/** What defines a stack's own resource types. */
interface Defs {
  files: Record<string, string>;
  environment: Record<string, unknown>;
}

/** An output as the API shows it. */
export interface OutputView {
  output_key: string;
  output_value: unknown;
  description: string;
  output_error?: string;
}

/** The engine's face. */
export interface OrchestrationEngine {
  create(caller: Caller, input: StackInput): Promise<StackRow>;
  /** Dry run: the plan without touching the cloud. */
  preview(caller: Caller, input: StackInput): Promise<{ stack: StackRow; prepared: PreparedStack }>;
  update(caller: Caller, stack: StackRow, input: StackInput): Promise<void>;
  delete(caller: Caller, stack: StackRow): Promise<void>;
  /** Forgets the stack, keeping its cloud resources; returns what it knew. */
  abandon(caller: Caller, stack: StackRow): Promise<Record<string, unknown>>;
  validate(caller: Caller, template: unknown, parameters: Record<string, unknown>): Promise<PreparedStack>;
  outputs(caller: Caller, stack: StackRow, keys?: string[]): Promise<OutputView[]>;
  /** A resource's attributes (all of its type's, resolved now). */
  attributes(caller: Caller, stack: StackRow, row: ResourceRow): Promise<Record<string, unknown>>;
  /** Required_by per resource name, from the stack's template. */
  requiredBy(stack: StackRow): Promise<Map<string, string[]>>;
  /** Fails stacks a previous run of the site left IN_PROGRESS. */
  recover(): Promise<void>;
  /** Resolves when every background operation has finished. */
  settled(): Promise<void>;
  /** Cancels running operations (their stacks end FAILED, "site restarted") and waits for them. */
  stop(): Promise<void>;
}

/** Builds the engine. */
export function orchestrationEngine(env: EngineEnv & { store: StackStore; log: Logger }): OrchestrationEngine {
  const { store, clock, ids, log } = env;
  /** Built-in types plus the template resources a stack's files and environment define. */
  const knownTypesOf = (defs: Defs) => {
    try {
      return new Set([...env.types.keys(), ...stackTypes(defs.files, defs.environment, env.types).keys()]);
    } catch {
      return new Set(env.types.keys());
    }
  };
  /** Per stack: the running operation (a delete cancels and waits for it). */
  const running = new Map<string, { rt: StackRuntime; done: Promise<void> }>();

  const prepare = (
    caller: Caller,
    stack: Pick<StackRow, 'id' | 'name' | 'projectId'>,
    template: unknown,
    parameters: Record<string, unknown>,
    defs: Defs,
  ) =>
    prepareStack({
      template,
      parameters,
      pseudo: pseudoParams(stack),
      knownTypes: knownTypesOf(defs),
      cloud: env.sites.client(undefined, caller),
    });

  const launch = (rt: StackRuntime, op: (rec: Recorder) => Promise<void>) => {
    const rec = new Recorder(store, rt);
    const done = (async () => {
      try {
        await op(rec);
      } catch (err) {
        log.error({ err, stack: rt.stack.id }, 'stack operation crashed');
        await rec
          .stack(rt.stack.action, 'FAILED', `Internal error: ${err instanceof Error ? err.message : String(err)}`)
          .catch(() => {});
      } finally {
        if (running.get(rt.stack.id)?.rt === rt) running.delete(rt.stack.id);
      }
    })();
    running.set(rt.stack.id, { rt, done });
  };

  const assertIdle = (stack: StackRow) => {
    if (running.has(stack.id) || stack.status === 'IN_PROGRESS') {
      throw new BrumeError(
        'conflict',
        'orchestration.action_in_progress',
        `Stack ${stack.name} already has an action (${stack.action}) in progress.`,
        {
          type: 'ActionInProgress',
        },
      );
    }
  };

  const runtimeFor = async (caller: Caller, stack: StackRow): Promise<StackRuntime> => {
    // No custom-constraint lookups: a stack whose flavor is gone can still be read and deleted.
    const prepared: PreparedStack = await prepareStack({
      template: stack.template,
      parameters: stack.parameters,
      pseudo: pseudoParams(stack),
      knownTypes: knownTypesOf(stack),
    }).catch(() => ({
      template: {
        version: '',
        description: '',
        parameters: {},
        parameterGroups: [],
        conditions: {},
        resources: {},
        outputs: {},
        raw: stack.template,
      },
      params: {},
      conditions: {},
      active: new Set<string>(),
      graph: new Map(),
    }));
    return new StackRuntime(env, stack, prepared, caller, await store.resources(stack.id));
  };

  return {
    async create(caller, input) {
      if (await store.stackByName(caller.projectId, input.name)) {
        throw new BrumeError('conflict', 'orchestration.stack_exists', `The Stack (${input.name}) already exists.`, {
          type: 'StackExists',
        });
      }
      const id = ids.uuid();
      const pre = { id, name: input.name, projectId: caller.projectId };
      const prepared = await prepare(caller, pre, input.template, input.parameters, input);
      const stack: StackRow = {
        ...pre,
        userId: caller.userId,
        action: 'CREATE',
        status: 'IN_PROGRESS',
        statusReason: 'Stack CREATE started',
        template: prepared.template.raw,
        parameters: input.parameters,
        environment: input.environment,
        files: input.files,
        disableRollback: input.disableRollback,
        timeoutMins: input.timeoutMins,
        tags: input.tags,
        createdAt: clock.now(),
        updatedAt: null,
        deletedAt: null,
      };
      await store.insertStack(stack);
      const rt = new StackRuntime(env, stack, prepared, caller, []);
      const rec = new Recorder(store, rt);
      await rec.stack('CREATE', 'IN_PROGRESS', 'Stack CREATE started');
      launch(rt, runCreate);
      return stack;
    },
    async preview(caller, input) {
      const id = ids.uuid();
      const prepared = await prepare(
        caller,
        { id, name: input.name, projectId: caller.projectId },
        input.template,
        input.parameters,
        input,
      );
      const stack: StackRow = {
        id,
        name: input.name,
        projectId: caller.projectId,
        userId: caller.userId,
        action: 'INIT',
        status: 'COMPLETE',
        statusReason: '',
        template: prepared.template.raw,
        parameters: input.parameters,
        environment: input.environment,
        files: input.files,
        disableRollback: input.disableRollback,
        timeoutMins: input.timeoutMins,
        tags: input.tags,
        createdAt: clock.now(),
        updatedAt: null,
        deletedAt: null,
      };
      return { stack, prepared };
    },
    async update(caller, stack, input) {
      assertIdle(stack);
      if (stack.action === 'DELETE' && stack.status === 'COMPLETE') {
        throw new BrumeError(
          'not_found',
          'orchestration.stack_not_found',
          `The Stack (${stack.name}) could not be found.`,
          { type: 'EntityNotFound' },
        );
      }
      const prepared = await prepare(caller, stack, input.template, input.parameters, input);
      const oldTemplate = stack.template;
      const previous = {
        template: stack.template,
        parameters: stack.parameters,
        environment: stack.environment,
        files: stack.files,
      };
      const patch = {
        template: prepared.template.raw,
        parameters: input.parameters,
        environment: input.environment,
        files: input.files,
        disableRollback: input.disableRollback,
        timeoutMins: input.timeoutMins,
        tags: input.tags,
      };
      Object.assign(stack, patch);
      await store.updateStack(stack.id, patch);
      const rt = new StackRuntime(env, stack, prepared, caller, await store.resources(stack.id));
      await new Recorder(store, rt).stack('UPDATE', 'IN_PROGRESS', 'Stack UPDATE started');
      launch(rt, async (rec) => {
        if ((await runUpdate(rec, oldTemplate)) || stack.disableRollback || rt.cancelled) return;
        // Rollback: the previous definition applied the same way, resources diffed against what the update left.
        Object.assign(stack, previous);
        await store.updateStack(stack.id, previous);
        const back = new StackRuntime(
          env,
          stack,
          await prepare(caller, stack, previous.template, previous.parameters, previous),
          caller,
          await store.resources(stack.id),
        );
        const rec2 = new Recorder(store, back);
        await rec2.stack('ROLLBACK', 'IN_PROGRESS', 'Stack ROLLBACK started');
        await runUpdate(rec2, prepared.template.raw, 'ROLLBACK');
      });
    },
    async delete(caller, stack) {
      if (stack.deletedAt !== null) return;
      const current = running.get(stack.id);
      if (current?.rt.stack.action === 'DELETE') return;
      if (current) {
        current.rt.cancel('Operation cancelled by a delete');
        await current.done;
      }
      const fresh = (await store.stack(stack.id)) ?? stack;
      const rt = await runtimeFor(caller, fresh);
      launch(rt, runDelete);
    },
    async abandon(caller, stack) {
      assertIdle(stack);
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
      const now = clock.now();
      await store.updateStack(stack.id, {
        action: 'ABANDON',
        status: 'COMPLETE',
        statusReason: 'Stack abandoned',
        deletedAt: now,
        updatedAt: now,
      });
      void caller;
      return data;
    },
    async validate(caller, template, parameters) {
      return prepare(caller, { id: 'None', name: 'validate', projectId: caller.projectId }, template, parameters, {
        files: {},
        environment: {},
      });
    },
    async outputs(caller, stack, keys) {
      const rt = await runtimeFor(caller, stack);
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
    },
    async attributes(caller, stack, row) {
      const rt = await runtimeFor(caller, stack);
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
    },
    async requiredBy(stack) {
      const out = new Map<string, string[]>();
      try {
        const prepared = await prepareStack({
          template: stack.template,
          parameters: stack.parameters,
          pseudo: pseudoParams(stack),
          knownTypes: knownTypesOf(stack),
        });
        for (const [n, deps] of prepared.graph) for (const d of deps) out.set(d, [...(out.get(d) ?? []), n]);
      } catch {
        // No graph for a stack whose definition no longer checks.
      }
      return out;
    },
    async recover() {
      for (const stack of await store.inProgress()) {
        const rt = new StackRuntime(
          env,
          stack,
          {
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
            active: new Set(),
            graph: new Map(),
          },
          { token: '', projectId: stack.projectId, userId: stack.userId },
          [],
        );
        const rec = new Recorder(store, rt);
        for (const r of await store.resources(stack.id)) {
          if (r.status === 'IN_PROGRESS')
            await rec.resource(r, { action: r.action, status: 'FAILED', statusReason: 'site restarted' });
        }
        await rec.stack(stack.action, 'FAILED', 'site restarted');
        log.warn({ stack: stack.id }, 'stack operation interrupted by a restart marked FAILED');
      }
    },
    async stop() {
      for (const r of running.values()) r.rt.cancel('site restarted');
      await this.settled();
    },
    async settled() {
      while (running.size > 0) await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
