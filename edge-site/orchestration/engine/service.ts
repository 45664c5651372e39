/** The orchestration engine as the API uses it: starts operations in the background and answers reads. */
import { BrumeError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/ports/logger.ts';
import { stackTypes } from '../resources/nested.ts';
import type { Caller } from '../sites.ts';
import { Recorder, runCreate, runDelete, runUpdate } from './operations.ts';
import { type PreparedStack, prepareStack } from './prepare.ts';
import {
  abandonStack,
  failInterrupted,
  type OutputView,
  requiredByOf,
  resourceAttributes,
  stackOutputs,
} from './reads.ts';
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

export type { OutputView } from './reads.ts';

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
      const stack = newStackRow(pre, caller.userId, prepared.template.raw, input, clock.now(), [
        'CREATE',
        'IN_PROGRESS',
        'Stack CREATE started',
      ]);
      await store.insertStack(stack);
      const rt = new StackRuntime(env, stack, prepared, caller, []);
      const rec = new Recorder(store, rt);
      await rec.stack('CREATE', 'IN_PROGRESS', 'Stack CREATE started');
      launch(rt, runCreate);
      return stack;
    },
    async preview(caller, input) {
      const id = ids.uuid();
      const pre = { id, name: input.name, projectId: caller.projectId };
      const prepared = await prepare(caller, pre, input.template, input.parameters, input);
      const stack = newStackRow(pre, caller.userId, prepared.template.raw, input, clock.now(), [
        'INIT',
        'COMPLETE',
        '',
      ]);
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
    async abandon(_caller, stack) {
      assertIdle(stack);
      return abandonStack(store, clock.now(), stack);
    },
    async validate(caller, template, parameters) {
      return prepare(caller, { id: 'None', name: 'validate', projectId: caller.projectId }, template, parameters, {
        files: {},
        environment: {},
      });
    },
    async outputs(caller, stack, keys) {
      return stackOutputs(await runtimeFor(caller, stack), keys);
    },
    async attributes(caller, stack, row) {
      return resourceAttributes(await runtimeFor(caller, stack), row);
    },
    async requiredBy(stack) {
      return requiredByOf(stack, knownTypesOf(stack));
    },
    async recover() {
      await failInterrupted(env, store, log);
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

/** A new stack's row: who and what it is, with its first (action, status, reason). */
function newStackRow(
  pre: Pick<StackRow, 'id' | 'name' | 'projectId'>,
  userId: string,
  template: StackRow['template'],
  input: StackInput,
  now: number,
  [action, status, statusReason]: [StackRow['action'], StackRow['status'], string],
): StackRow {
  return {
    ...pre,
    userId,
    action,
    status,
    statusReason,
    template,
    parameters: input.parameters,
    environment: input.environment,
    files: input.files,
    disableRollback: input.disableRollback,
    timeoutMins: input.timeoutMins,
    tags: input.tags,
    createdAt: now,
    updatedAt: null,
    deletedAt: null,
  };
}
