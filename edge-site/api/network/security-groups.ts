/** `/v2.0/security-groups` and `/v2.0/security-group-rules`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NetCtx } from '../../network/context.ts';
import { listResponse } from '../../network/query.ts';
import { createRule, deleteRule, listRules, type RuleInput, showRule } from '../../network/security-group-rules.ts';
import {
  createSecurityGroup,
  deleteSecurityGroup,
  ensureDefaultGroup,
  listSecurityGroups,
  type SecurityGroupInput,
  showSecurityGroup,
  updateSecurityGroup,
} from '../../network/security-groups.ts';
import type { AppEnv, AuthContext } from '../env.ts';
import {
  bool,
  createAll,
  createBodies,
  description,
  int,
  name,
  projectId,
  resourceBody,
  shown,
  tags,
  writer,
} from './common.ts';

const groupAttrs = z.object({
  name: name.optional(),
  description: description.optional(),
  stateful: bool.optional(),
  tags: tags.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
});
const ruleAttrs = z.object({
  security_group_id: z.string().min(1),
  direction: z.string(),
  ethertype: z.string().optional(),
  protocol: z.union([z.string(), z.number().int()]).nullable().optional(),
  port_range_min: int.nullable().optional(),
  port_range_max: int.nullable().optional(),
  remote_ip_prefix: z.string().nullable().optional(),
  remote_group_id: z.string().nullable().optional(),
  remote_address_group_id: z.null().optional(),
  description: description.optional(),
  project_id: projectId.optional(),
  tenant_id: projectId.optional(),
});
const readOnly = ['id', 'created_at', 'updated_at', 'revision_number', 'security_group_rules'];

/** Creates the caller's default group on first sight (Neutron does it on the first API call of a project). */
async function ensureOwnDefault(ctx: NetCtx, auth: AuthContext): Promise<void> {
  const project = auth.project?.id;
  if (project) await ctx.lock.run(() => ensureDefaultGroup(ctx, project));
}

/** Security group routes. */
export function securityGroupRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    const auth = c.get('auth');
    await ensureOwnDefault(ctx, auth);
    return c.json(listResponse(await listSecurityGroups(ctx, auth), new URL(c.req.url), 'security_groups'));
  });
  app.post('/', async (c) => {
    const auth = writer(c);
    const { items } = await createBodies<SecurityGroupInput>(
      c,
      'security_group',
      'security_groups',
      groupAttrs,
      readOnly,
    );
    const input = items[0] ?? {};
    return c.json({ security_group: await createSecurityGroup(ctx, auth, input) }, 201);
  });
  app.get('/:id', async (c) =>
    c.json({ security_group: shown(c, await showSecurityGroup(ctx, c.get('auth'), c.req.param('id'))) }),
  );
  app.put('/:id', async (c) => {
    const auth = writer(c);
    const input = await resourceBody<SecurityGroupInput>(c, 'security_group', groupAttrs, 'PUT', readOnly);
    return c.json({ security_group: await updateSecurityGroup(ctx, auth, c.req.param('id'), input) });
  });
  app.delete('/:id', async (c) => {
    await deleteSecurityGroup(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}

/** Security group rule routes. */
export function securityGroupRuleRoutes(ctx: NetCtx): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', async (c) => {
    const auth = c.get('auth');
    await ensureOwnDefault(ctx, auth);
    return c.json(listResponse(await listRules(ctx, auth), new URL(c.req.url), 'security_group_rules'));
  });
  app.post('/', async (c) => {
    const auth = writer(c);
    const { bulk, items } = await createBodies<RuleInput>(c, 'security_group_rule', 'security_group_rules', ruleAttrs, [
      'id',
      'created_at',
      'updated_at',
      'revision_number',
    ]);
    const done = await createAll(
      items,
      (i) => createRule(ctx, auth, i),
      (d) => deleteRule(ctx, auth, String(d.id)),
    );
    return c.json(bulk ? { security_group_rules: done } : { security_group_rule: done[0] }, 201);
  });
  app.get('/:id', async (c) =>
    c.json({ security_group_rule: shown(c, await showRule(ctx, c.get('auth'), c.req.param('id'))) }),
  );
  app.delete('/:id', async (c) => {
    await deleteRule(ctx, writer(c), c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
