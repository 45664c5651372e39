/** The dependency graph of a template's resources: explicit depends_on plus get_resource/get_attr references. */
import { BrumeError } from '../../../shared/errors.ts';
import { referencedResources } from './functions.ts';
import type { ResourceDef } from './template.ts';

/** name -> names it depends on (only names present in `resources`). */
export type Graph = Map<string, Set<string>>;

/** Builds the graph and rejects references to unknown resources and cycles. */
export function dependencyGraph(resources: Record<string, ResourceDef>): Graph {
  const g: Graph = new Map();
  for (const [name, def] of Object.entries(resources)) {
    const deps = new Set(def.dependsOn);
    for (const r of referencedResources(def.properties)) deps.add(r);
    for (const r of referencedResources(def.metadata)) deps.add(r);
    for (const d of deps) {
      if (!(d in resources)) {
        throw new BrumeError(
          'bad_request',
          'orchestration.reference_invalid',
          `The specified reference "${d}" (in ${name}) is incorrect.`,
          {
            type: 'InvalidTemplateReference',
          },
        );
      }
    }
    deps.delete(name);
    g.set(name, deps);
  }
  topologicalOrder(g);
  return g;
}

/** Names in an order where each comes after what it depends on; throws on a cycle. */
export function topologicalOrder(g: Graph): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, path: string[]) => {
    const s = state.get(n);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw new BrumeError(
        'bad_request',
        'orchestration.circular_dependency',
        `Circular Dependency Found: ${[...path, n].join(' -> ')}`,
        {
          type: 'CircularDependencyException',
        },
      );
    }
    state.set(n, 'visiting');
    for (const d of [...(g.get(n) ?? [])].sort()) visit(d, [...path, n]);
    state.set(n, 'done');
    order.push(n);
  };
  for (const n of [...g.keys()].sort()) visit(n, []);
  return order;
}

/** The reverse graph: name -> names that depend on it (Heat's `required_by`). */
export function requiredBy(g: Graph): Map<string, string[]> {
  const out = new Map<string, string[]>([...g.keys()].map((k) => [k, []]));
  for (const [n, deps] of g) for (const d of deps) out.get(d)?.push(n);
  return out;
}

/**
 * Runs `task` over every node once its dependencies finished, with as much parallelism as the graph allows.
 * After the first failure no new task starts; resolves with the failures once in-flight tasks finished.
 * `reverse` walks dependents first (deletes).
 */
export async function walkGraph(
  g: Graph,
  task: (name: string) => Promise<void>,
  opts: { reverse?: boolean; only?: ReadonlySet<string> } = {},
): Promise<Array<{ name: string; error: unknown }>> {
  const deps: Map<string, Set<string>> = opts.reverse
    ? new Map([...requiredBy(g)].map(([k, v]) => [k, new Set(v)]))
    : new Map([...g].map(([k, v]) => [k, new Set(v)]));
  const pending = new Set(deps.keys());
  const done = new Set<string>();
  const failures: Array<{ name: string; error: unknown }> = [];
  const running = new Map<string, Promise<void>>();
  const skip = (n: string) => opts.only !== undefined && !opts.only.has(n);
  while (pending.size > 0 || running.size > 0) {
    if (failures.length === 0) {
      for (const n of [...pending].sort()) {
        if ([...(deps.get(n) ?? [])].every((d) => done.has(d))) {
          pending.delete(n);
          if (skip(n)) {
            done.add(n);
            continue;
          }
          const p = task(n).then(
            () => void done.add(n),
            (error: unknown) => void failures.push({ name: n, error }),
          );
          running.set(
            n,
            p.finally(() => running.delete(n)),
          );
        }
      }
    }
    if (running.size === 0) {
      // Nothing runs: either everything is done, a failure stops the walk, or skipped nodes freed more work.
      if (failures.length > 0 || pending.size === 0) break;
      if ([...pending].some((n) => [...(deps.get(n) ?? [])].every((d) => done.has(d)))) continue;
      break;
    }
    await Promise.race(running.values());
  }
  return failures;
}
