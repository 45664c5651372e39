/** Stack operations that outlive the caller's token: the engine swaps it for delegated tokens near expiry. */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../testing/deps.ts';
import type { ResourceType } from '../resources/types.ts';
import { fakeCloud } from '../testing/fake-cloud.ts';
import { orchestrationHarness } from '../testing/harness.ts';
import { refreshFor, refreshingCaller } from './credentials.ts';

const HOUR = 3_600_000;

/** A network whose create takes two hours of the site clock, reading it back every 30 minutes. */
const slowNet: ResourceType = {
  description: 'test: a slow network',
  properties: {},
  attributes: {},
  async create(ctx) {
    const r = await ctx.cloud.call<{ network: { id: string } }>('network', 'POST', '/networks', {
      network: { name: `${ctx.stackName}-slow` },
    });
    return r.network.id;
  },
  async checkCreate(ctx, id) {
    for (let i = 0; i < 4; i++) {
      await ctx.sleep(HOUR / 2);
      await ctx.cloud.call('network', 'GET', `/networks/${id}`);
    }
  },
  async delete(ctx, id) {
    await ctx.cloud.call('network', 'DELETE', `/networks/${id}`);
  },
  attribute: async () => null,
};

describe('token refresh during long operations', () => {
  it('completes a create that outlives the caller token, locally and at another site', async () => {
    const b = fakeCloud('b');
    const remoteTokens: string[] = [];
    const h = await orchestrationHarness({
      tokenTtlMs: HOUR,
      types: new Map([['Test::Slow', slowNet]]),
      sites: [{ id: 'b', url: 'http://b.test' }],
      remote: async (r) => {
        const token = r.headers.get('x-auth-token') ?? '';
        remoteTokens.push(token);
        if (!h.tokenValid(token)) return Response.json({ error: { message: 'expired' } }, { status: 401 });
        return b.app.fetch(r);
      },
    });
    const created = await h.call('POST', '/stacks', {
      stack_name: 'long',
      timeout_mins: 600,
      template: {
        heat_template_version: '2018-08-31',
        resources: {
          slow: { type: 'Test::Slow' },
          after: { type: 'OS::Neutron::Net', depends_on: 'slow' },
          there: { type: 'OS::Neutron::Net', depends_on: 'slow', metadata: { 'brume:site': 'b' } },
        },
      },
    });
    expect(created.status).toBe(201);
    await h.settle(60_000);
    const s = (await h.call('GET', `/stacks/long/${created.body.stack.id}`)).body.stack;
    expect(s.stack_status_reason).toBe('Stack CREATE completed successfully');
    expect(s.stack_status).toBe('CREATE_COMPLETE');
    // The caller's token expired an hour in: later calls carried a delegated token of the same user and project.
    expect(h.tokenValid(h.token)).toBe(false);
    expect(h.delegated.length).toBeGreaterThanOrEqual(1);
    expect(h.delegated[0]).toMatch(/-p1$/);
    expect(remoteTokens.at(-1)).toMatch(/^delegated-/);
    expect([...(b.objects.get('networks')?.values() ?? [])].map((n) => n.name)).toEqual([
      expect.stringMatching(/^long-there-/),
    ]);
  });

  it('keeps the caller token while it has time left (no delegated token for a short create)', async () => {
    const h = await orchestrationHarness({ tokenTtlMs: HOUR });
    const created = await h.call('POST', '/stacks', {
      stack_name: 'short',
      template: { heat_template_version: '2018-08-31', resources: { n: { type: 'OS::Neutron::Net' } } },
    });
    await h.settle();
    const s = (await h.call('GET', `/stacks/short/${created.body.stack.id}`)).body.stack;
    expect(s.stack_status).toBe('CREATE_COMPLETE');
    expect(h.delegated).toEqual([]);
  });
});

describe('refreshingCaller', () => {
  it('keeps the token until the margin, then issues one delegated token for concurrent calls', async () => {
    const clock = manualClock(0);
    const issued: Array<{ userId: string; projectId: string; ttlMs: number }> = [];
    const refresh = refreshFor(async (i) => {
      issued.push(i);
      await clock.sleep(0);
      return `d${issued.length}`;
    }, 3600);
    const c = refreshingCaller({ token: 't', projectId: 'p', userId: 'u', expiresAt: HOUR }, clock, refresh);
    expect(await c.freshToken?.()).toBe('t');
    clock.advance(HOUR - refresh.marginMs);
    const both = Promise.all([c.freshToken?.(), c.freshToken?.()]);
    clock.advance(0);
    expect(await both).toEqual(['d1', 'd1']);
    expect(issued).toEqual([{ userId: 'u', projectId: 'p', ttlMs: HOUR }]);
    clock.advance(HOUR - refresh.marginMs - 1);
    expect(await c.freshToken?.()).toBe('d1');
    expect(refreshingCaller({ token: 't', projectId: 'p', userId: 'u' }, clock, undefined).freshToken).toBeUndefined();
  });
});
