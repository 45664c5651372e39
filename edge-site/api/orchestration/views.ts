/** Heat's JSON shapes of stacks, resources and events. */
import type { EventRow, ResourceRow, StackRow } from '../../orchestration/engine/store.ts';

/** Heat's timestamps: ISO 8601 to the second, `Z`. */
export function heatTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `http://host/orchestration/v1/{project}`: the base of links. */
export type Base = string;

export const stackHref = (base: Base, s: Pick<StackRow, 'name' | 'id'>) =>
  `${base}/stacks/${encodeURIComponent(s.name)}/${s.id}`;

/** A stack as listed. */
export function stackSummary(base: Base, s: StackRow, owner?: string): Record<string, unknown> {
  const description = typeof s.template.description === 'string' ? s.template.description : 'No description';
  return {
    id: s.id,
    stack_name: s.name,
    description,
    creation_time: heatTime(s.createdAt),
    updated_time: heatTime(s.updatedAt),
    deletion_time: heatTime(s.deletedAt),
    stack_status: `${s.action}_${s.status}`,
    stack_status_reason: s.statusReason,
    stack_owner: owner ?? null,
    stack_user_project_id: s.projectId,
    project: s.projectId,
    parent: null,
    tags: s.tags.length > 0 ? s.tags : null,
    links: [{ href: stackHref(base, s), rel: 'self' }],
  };
}

/** A stack as shown. */
export function stackDetail(
  base: Base,
  s: StackRow,
  extra: { parameters: Record<string, string>; outputs?: unknown[]; owner?: string },
): Record<string, unknown> {
  const summary = stackSummary(base, s, extra.owner);
  return {
    ...summary,
    template_description: summary.description,
    parameters: extra.parameters,
    ...(extra.outputs ? { outputs: extra.outputs } : {}),
    disable_rollback: s.disableRollback,
    timeout_mins: s.timeoutMins,
    notification_topics: [],
    capabilities: [],
  };
}

/** A resource as listed. */
export function resourceView(base: Base, s: StackRow, r: ResourceRow, requiredBy: string[]): Record<string, unknown> {
  const stack = stackHref(base, s);
  return {
    resource_name: r.name,
    logical_resource_id: r.name,
    physical_resource_id: r.physicalId ?? '',
    resource_type: r.type,
    resource_status: `${r.action}_${r.status}`,
    resource_status_reason: r.statusReason,
    creation_time: heatTime(r.createdAt),
    updated_time: heatTime(r.updatedAt ?? r.createdAt),
    required_by: requiredBy,
    'brume:site': r.site,
    links: [
      { href: `${stack}/resources/${encodeURIComponent(r.name)}`, rel: 'self' },
      { href: stack, rel: 'stack' },
    ],
  };
}

/** An event. */
export function eventView(base: Base, s: StackRow, e: EventRow, detail = false): Record<string, unknown> {
  const stack = stackHref(base, s);
  const resource = `${stack}/resources/${encodeURIComponent(e.resourceName)}`;
  return {
    id: e.id,
    event_time: heatTime(e.time),
    resource_name: e.resourceName,
    logical_resource_id: e.resourceName,
    physical_resource_id: e.physicalId,
    resource_status: `${e.action}_${e.status}`,
    resource_status_reason: e.statusReason,
    ...(detail ? { resource_type: e.resourceType, resource_properties: {} } : {}),
    links: [
      { href: `${resource}/events/${e.id}`, rel: 'self' },
      { href: resource, rel: 'resource' },
      { href: stack, rel: 'stack' },
    ],
  };
}
