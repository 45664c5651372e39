/**
 * OS::Heat::WaitConditionHandle and OS::Heat::WaitCondition: a server (or anyone with the URL and token) POSTs
 * `{"status": "SUCCESS"|"FAILURE", "reason", "data", "id"}` to the handle's signal URL; the condition completes after
 * `count` successes, fails on a failure or after `timeout` seconds.
 */
import { propertyError, type ResourceContext, type ResourceType } from './types.ts';

/** A signal as stored in the handle's data. */
export interface WaitSignal {
  status: string;
  reason: string;
  data: unknown;
}

/** Records a signal on a handle's data (the signal route calls it); throws a 400 for a bad status. */
export function recordSignal(data: Record<string, unknown>, body: Record<string, unknown>): Record<string, unknown> {
  const status = String(body.status ?? 'SUCCESS');
  if (status !== 'SUCCESS' && status !== 'FAILURE')
    throw propertyError(`Metadata format invalid: status must be SUCCESS or FAILURE, not ${status}`);
  const signals = { ...((data.signals ?? {}) as Record<string, WaitSignal>) };
  const id = body.id === undefined || body.id === null ? String(Object.keys(signals).length + 1) : String(body.id);
  signals[id] = { status, reason: String(body.reason ?? 'Signal received'), data: body.data ?? null };
  return { ...data, signals };
}

function signalUrl(ctx: ResourceContext): string {
  const base = ctx.cloud.baseUrl.replace(/\/$/, '');
  return `${base}/orchestration/v1/${ctx.cloud.projectId}/stacks/${ctx.stackName}/${ctx.stackId}/resources/${ctx.resourceName}/signal`;
}

export const heatWaitConditionHandle: ResourceType = {
  description: 'The URL and token a server signals a wait condition with.',
  properties: {},
  attributes: {
    endpoint: 'The signal URL.',
    token: 'The token to send in X-Auth-Token.',
    curl_cli: 'A curl command that signals success (append --data-binary for details).',
    signal: 'The signals received.',
  },
  async create(ctx) {
    ctx.data.signals = {};
    return ctx.ids.uuid();
  },
  delete: async () => {},
  async attribute(ctx, _id, name) {
    const url = signalUrl(ctx);
    switch (name) {
      case 'endpoint':
        return url;
      case 'token':
        return ctx.cloud.token;
      case 'curl_cli':
        return `curl -i -X POST -H 'X-Auth-Token: ${ctx.cloud.token}' -H 'Content-Type: application/json' -H 'Accept: application/json' ${url}`;
      case 'signal':
        return ctx.data.signals ?? {};
      default:
        return null;
    }
  },
};

async function signalsOf(ctx: ResourceContext, handleId: string): Promise<Record<string, WaitSignal>> {
  const row = (await ctx.stackRows()).find(
    (r) => r.physicalId === handleId && r.type === 'OS::Heat::WaitConditionHandle',
  );
  if (!row) throw propertyError(`The wait condition handle ${handleId} is not a resource of this stack.`);
  return (row.data.signals ?? {}) as Record<string, WaitSignal>;
}

export const heatWaitCondition: ResourceType = {
  description: 'Waits for `count` success signals on a handle, at most `timeout` seconds.',
  properties: {
    handle: { type: 'string', required: true },
    timeout: { type: 'number', required: true },
    count: { type: 'integer', default: 1, update_allowed: true },
  },
  attributes: { data: "JSON of the signals' data by id." },
  async create(ctx, p) {
    ctx.data.handle = p.handle;
    return ctx.ids.uuid();
  },
  async checkCreate(ctx, _id, p) {
    const deadline = ctx.now() + Number(p.timeout) * 1000;
    for (;;) {
      const signals = Object.values(await signalsOf(ctx, String(p.handle)));
      const failed = signals.find((s) => s.status === 'FAILURE');
      if (failed) throw new Error(`WaitConditionFailure: ${failed.reason}`);
      if (signals.length >= Number(p.count)) return;
      if (ctx.now() >= deadline)
        throw new Error(`WaitConditionTimeout: ${signals.length} of ${Number(p.count)} signals received`);
      await ctx.sleep(Math.min(1000, Number(p.timeout) * 100));
    }
  },
  delete: async () => {},
  async attribute(ctx, _id, name) {
    if (name !== 'data') return null;
    const signals = await signalsOf(ctx, String(ctx.data.handle ?? ''));
    return JSON.stringify(Object.fromEntries(Object.entries(signals).map(([k, s]) => [k, s.data])));
  },
};
