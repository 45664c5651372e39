/**
 * One stack operation's view of the world: the prepared definition, the resource rows, and how to resolve
 * functions and reach each resource's site.
 */
import { BrumeError } from '../../../shared/errors.ts';
import type { Clock } from '../../../shared/ports/clock.ts';
import type { IdSource } from '../../../shared/ports/ids.ts';
import type { CloudClient } from '../cloud.ts';
import { stackTypes } from '../resources/nested.ts';
import type { ResourceContext, ResourceType } from '../resources/types.ts';
import type { Caller, SiteRouter } from '../sites.ts';
import { type ResolveContext, resolve } from '../template/functions.ts';
import { refreshingCaller, type TokenRefresh } from './credentials.ts';
import type { PreparedStack } from './prepare.ts';
import type { ResourceRow, StackRow } from './store.ts';

/** What operations need from the site. */
export interface EngineEnv {
  clock: Clock;
  ids: IdSource;
  types: ReadonlyMap<string, ResourceType>;
  sites: SiteRouter;
  /** Poll interval of waits (server ACTIVE, volume available). */
  pollMs: number;
  /** The current rows of a stack (wait conditions read their handle's signals). */
  rowsOf?: (stackId: string) => Promise<ResourceRow[]>;
  /** Replaces the caller's token near its expiry with a delegated one (absent: the caller's token throughout). */
  refresh?: TokenRefresh;
}

/** The pseudo parameters of a stack. */
export function pseudoParams(stack: Pick<StackRow, 'id' | 'name' | 'projectId'>): Record<string, string> {
  return { 'OS::stack_name': stack.name, 'OS::stack_id': stack.id, 'OS::project_id': stack.projectId };
}

/** Thrown when an operation is cancelled (a delete arrived). */
export class Cancelled extends Error {}

/** The runtime of one operation. */
export class StackRuntime {
  readonly env: EngineEnv;
  readonly stack: StackRow;
  readonly prepared: PreparedStack;
  readonly caller: Caller;
  /** Current row per resource name (the newest when a replacement exists). */
  readonly rows = new Map<string, ResourceRow>();
  readonly deadline: number;
  /** Built-in types plus the template resources of this stack's files and environment. */
  readonly types: ReadonlyMap<string, ResourceType>;
  cancelled = false;
  cancelReason = 'Operation cancelled';

  constructor(env: EngineEnv, stack: StackRow, prepared: PreparedStack, caller: Caller, rows: ResourceRow[]) {
    this.env = env;
    this.stack = stack;
    this.prepared = prepared;
    this.caller = refreshingCaller(caller, env.clock, env.refresh);
    for (const r of rows) this.rows.set(r.name, r);
    this.deadline = env.clock.now() + (stack.timeoutMins ?? 60) * 60_000;
    let own: Map<string, ResourceType>;
    try {
      own = stackTypes(stack.files ?? {}, stack.environment ?? {}, env.types);
    } catch {
      own = new Map();
    }
    this.types = new Map([...env.types, ...own]);
  }

  /** Resolves a snippet against parameters, conditions and the current rows. */
  resolveContext(): ResolveContext {
    const { prepared } = this;
    return {
      param: (n) => prepared.params[n],
      hasParam: (n) => n in prepared.params,
      resourceId: (n) => {
        if (!(n in prepared.template.resources)) return undefined;
        return this.rows.get(n)?.physicalId ?? null;
      },
      attribute: async (n, attr, path) => {
        const row = this.rows.get(n);
        if (!row?.physicalId) return null;
        const type = this.types.get(row.type);
        if (!type) return null;
        if (!(attr in type.attributes) && !(row.type === 'OS::Heat::ResourceGroup' && attr.startsWith('resource.'))) {
          throw new BrumeError(
            'bad_request',
            'orchestration.attribute_invalid',
            `The Referenced Attribute (${n} ${attr}) is incorrect.`,
            {
              type: 'InvalidTemplateAttribute',
            },
          );
        }
        let v = await type.attribute(this.resourceContext(row), row.physicalId, attr);
        for (const p of path) {
          if (v === null || v === undefined) return null;
          v = Array.isArray(v) ? v[Number(p)] : (v as Record<string, unknown>)[String(p)];
        }
        return v ?? null;
      },
      condition: (n) => {
        const c = prepared.conditions[n];
        if (c === undefined)
          throw new BrumeError('bad_request', 'orchestration.condition_invalid', `Invalid condition "${n}"`);
        return c;
      },
      pseudo: pseudoParams(this.stack),
      files: this.stack.files,
    };
  }

  /** The site a resource goes to: `brume:site` in its (resolved) metadata, else this site. */
  async siteOf(name: string): Promise<string | undefined> {
    const def = this.prepared.template.resources[name];
    const meta = def ? await resolve(def.metadata, this.resolveContext()) : undefined;
    const site = meta && typeof meta === 'object' ? (meta as Record<string, unknown>)['brume:site'] : undefined;
    return typeof site === 'string' && site !== '' ? site : undefined;
  }

  /** Stops launching work; waits end with {@link Cancelled}. */
  cancel(reason: string): void {
    this.cancelled = true;
    this.cancelReason = reason;
  }

  client(site: string): CloudClient {
    return this.env.sites.client(site, this.caller);
  }

  resourceContext(row: ResourceRow): ResourceContext {
    const { clock } = this.env;
    return {
      cloud: this.client(row.site),
      ids: this.env.ids,
      stackName: this.stack.name,
      stackId: this.stack.id,
      resourceName: row.name,
      data: row.data,
      types: this.types,
      sleep: (ms) => clock.sleep(ms),
      now: () => clock.now(),
      stackRows: () => this.env.rowsOf?.(this.stack.id) ?? Promise.resolve([]),
      waitFor: async (what, check) => {
        for (;;) {
          if (await check()) return;
          if (this.cancelled) throw new Cancelled(this.cancelReason);
          if (clock.now() >= this.deadline) throw new Error(`Timed out waiting for ${what}`);
          await clock.sleep(this.env.pollMs);
        }
      },
    };
  }
}
