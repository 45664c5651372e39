/** A template with its parameters checked, conditions evaluated and dependency graph built: what operations run. */
import { BrumeError } from '../../../shared/errors.ts';
import { type CloudClient, isNotFound } from '../cloud.ts';
import { findId } from '../resources/types.ts';
import { evaluateCondition, type ResolveContext } from '../template/functions.ts';
import { dependencyGraph, type Graph } from '../template/graph.ts';
import { type CustomConstraintCheck, resolveParameters } from '../template/parameters.ts';
import { loadTemplate, type Template } from '../template/template.ts';

/** A stack definition ready to run. */
export interface PreparedStack {
  template: Template;
  params: Record<string, unknown>;
  conditions: Record<string, boolean>;
  /** Resources whose condition holds. */
  active: Set<string>;
  /** Graph over the active resources. */
  graph: Graph;
}

/** Checks `custom_constraint`s against the site's APIs (Heat's nova.flavor, glance.image, …). */
export function customConstraints(cloud: CloudClient | undefined): CustomConstraintCheck {
  const lookups: Record<string, (v: string) => Promise<unknown>> = {
    'nova.flavor': (v) => findId(cloud as CloudClient, 'compute', 'flavors', 'flavor', v),
    'glance.image': (v) => findId(cloud as CloudClient, 'image', 'images', 'image', v),
    'neutron.network': (v) => findId(cloud as CloudClient, 'network', 'networks', 'network', v),
    'neutron.subnet': (v) => findId(cloud as CloudClient, 'network', 'subnets', 'subnet', v),
    'neutron.port': (v) => findId(cloud as CloudClient, 'network', 'ports', 'port', v),
    'neutron.router': (v) => findId(cloud as CloudClient, 'network', 'routers', 'router', v),
    'nova.keypair': (v) => (cloud as CloudClient).call('compute', 'GET', `/os-keypairs/${encodeURIComponent(v)}`),
    'cinder.volume': (v) => (cloud as CloudClient).call('volume', 'GET', `/volumes/${encodeURIComponent(v)}`),
  };
  return async (name, value) => {
    const lookup = lookups[name];
    if (!lookup || !cloud) return null;
    try {
      await lookup(String(value));
      return null;
    } catch (err) {
      if (isNotFound(err) || (err instanceof BrumeError && err.kind === 'not_found')) {
        const what =
          name === 'nova.keypair'
            ? `The Key (${String(value)}) could not be found.`
            : err instanceof Error
              ? err.message
              : String(err);
        return `Error validating value '${String(value)}': ${what}`;
      }
      throw err;
    }
  };
}

/** A resolve context with only parameters (conditions are evaluated before any resource exists). */
function paramContext(
  params: Record<string, unknown>,
  pseudo: Record<string, string>,
  conditions: (n: string) => boolean,
): ResolveContext {
  return {
    param: (n) => params[n],
    hasParam: (n) => n in params,
    resourceId: () => null,
    attribute: async () => null,
    condition: conditions,
    pseudo,
  };
}

/** Evaluates the `conditions` section (conditions may refer to each other; cycles are 400s). */
export async function evaluateConditions(
  template: Template,
  params: Record<string, unknown>,
  pseudo: Record<string, string>,
): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const evalNamed = async (name: string): Promise<boolean> => {
    if (name in out) return out[name] as boolean;
    if (!(name in template.conditions)) {
      throw new BrumeError('bad_request', 'orchestration.condition_invalid', `Invalid condition "${name}"`, {
        type: 'StackValidationFailed',
      });
    }
    if (visiting.has(name))
      throw new BrumeError(
        'bad_request',
        'orchestration.condition_invalid',
        `Circular definition for condition "${name}"`,
      );
    visiting.add(name);
    // Conditions referenced by name are evaluated first (pre-pass), then this one synchronously reads them.
    const expr = template.conditions[name];
    for (const ref of namesIn(expr)) if (ref in template.conditions && !(ref in out)) await evalNamed(ref);
    out[name] = await evaluateCondition(
      expr,
      paramContext(params, pseudo, (n) => {
        if (!(n in out))
          throw new BrumeError('bad_request', 'orchestration.condition_invalid', `Invalid condition "${n}"`);
        return out[n] as boolean;
      }),
    );
    return out[name] as boolean;
  };
  for (const name of Object.keys(template.conditions)) await evalNamed(name);
  return out;
}

function namesIn(v: unknown, acc: string[] = []): string[] {
  if (typeof v === 'string') acc.push(v);
  else if (Array.isArray(v)) for (const x of v) namesIn(x, acc);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) namesIn(x, acc);
  return acc;
}

/** Loads, checks and plans a stack definition. `knownTypes` rejects unknown resource types (400). */
export async function prepareStack(input: {
  template: unknown;
  parameters: Record<string, unknown>;
  pseudo: Record<string, string>;
  knownTypes: ReadonlySet<string>;
  cloud?: CloudClient;
}): Promise<PreparedStack> {
  const template = loadTemplate(input.template);
  for (const [name, r] of Object.entries(template.resources)) {
    if (!input.knownTypes.has(r.type)) {
      throw new BrumeError(
        'bad_request',
        'orchestration.type_unknown',
        `The Resource Type (${r.type}) could not be found.`,
        {
          type: 'StackValidationFailed',
          details: { resource: name },
        },
      );
    }
  }
  const params = await resolveParameters(template, input.parameters, customConstraints(input.cloud));
  const conditions = await evaluateConditions(template, params, input.pseudo);
  const ctx = paramContext(params, input.pseudo, (n) => {
    if (!(n in conditions))
      throw new BrumeError('bad_request', 'orchestration.condition_invalid', `Invalid condition "${n}"`);
    return conditions[n] as boolean;
  });
  const active = new Set<string>();
  for (const [name, r] of Object.entries(template.resources)) {
    if (r.condition === undefined || (await evaluateCondition(r.condition, ctx))) active.add(name);
  }
  // References to resources whose condition is false resolve to null: they are no dependencies.
  const graph: Graph = new Map();
  for (const [n, deps] of dependencyGraph(template.resources)) {
    if (active.has(n)) graph.set(n, new Set([...deps].filter((d) => active.has(d))));
  }
  return { template, params, conditions, active, graph };
}
