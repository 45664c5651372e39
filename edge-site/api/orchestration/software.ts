/** `/v1/{project}/software_configs` and `/software_deployments` (Heat's shapes). */
import { Hono } from 'hono';
import type { ConfigRow, DeploymentRow, SoftwareStore } from '../../orchestration/software.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { bodyMap, callerOf } from './common.ts';
import { heatTime } from './views.ts';

function configView(r: ConfigRow, full = true): Record<string, unknown> {
  const base = { id: r.id, name: r.name, group: r.group, creation_time: heatTime(r.createdAt), project: r.projectId };
  if (!full) return base;
  return {
    ...base,
    config: r.config,
    inputs: r.body.inputs ?? [],
    outputs: r.body.outputs ?? [],
    options: r.body.options ?? {},
  };
}

function deploymentView(r: DeploymentRow): Record<string, unknown> {
  return {
    id: r.id,
    config_id: r.configId,
    server_id: r.serverId,
    action: r.action,
    status: r.status,
    status_reason: r.statusReason,
    input_values: r.inputValues,
    output_values: r.outputValues,
    creation_time: heatTime(r.createdAt),
    updated_time: heatTime(r.updatedAt),
  };
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The sub-app (mounted at `/v1/:project_id`). */
export function softwareRoutes(store: SoftwareStore): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/software_configs', async (c) => {
    const { projectId } = callerOf(c);
    return c.json({ software_configs: (await store.listConfigs(projectId)).map((r) => configView(r, false)) });
  });
  app.post('/software_configs', async (c) => {
    const { projectId } = callerOf(c);
    const b = bodyMap(await jsonBody(c));
    const row = await store.createConfig(projectId, {
      name: String(b.name ?? ''),
      group: String(b.group ?? 'Heat::Ungrouped'),
      config: String(b.config ?? ''),
      body: { inputs: b.inputs ?? [], outputs: b.outputs ?? [], options: b.options ?? {} },
    });
    return c.json({ software_config: configView(row) });
  });
  app.get('/software_configs/:id', async (c) =>
    c.json({ software_config: configView(await store.config(callerOf(c).projectId, c.req.param('id'))) }),
  );
  app.delete('/software_configs/:id', async (c) => {
    await store.deleteConfig(callerOf(c).projectId, c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/software_deployments', async (c) => {
    const { projectId } = callerOf(c);
    return c.json({
      software_deployments: (await store.listDeployments(projectId, c.req.query('server_id'))).map(deploymentView),
    });
  });
  app.post('/software_deployments', async (c) => {
    const { projectId } = callerOf(c);
    const b = bodyMap(await jsonBody(c));
    const row = await store.createDeployment(projectId, {
      configId: String(b.config_id ?? ''),
      serverId: String(b.server_id ?? ''),
      action: String(b.action ?? 'INIT'),
      status: String(b.status ?? 'COMPLETE'),
      statusReason: String(b.status_reason ?? ''),
      inputValues: obj(b.input_values),
      outputValues: {},
    });
    return c.json({ software_deployment: deploymentView(row) });
  });
  app.get('/software_deployments/metadata/:server_id', async (c) => {
    const { projectId } = callerOf(c);
    const deployments = await store.listDeployments(projectId, c.req.param('server_id'));
    const metadata = [];
    for (const d of deployments) {
      const cfg = configView(await store.config(projectId, d.configId));
      metadata.push({
        ...cfg,
        id: d.id,
        inputs: [
          ...((cfg.inputs as unknown[]) ?? []),
          ...Object.entries(d.inputValues).map(([name, value]) => ({ name, value })),
        ],
        updated_time: heatTime(d.updatedAt),
      });
    }
    return c.json({ metadata });
  });
  app.get('/software_deployments/:id', async (c) =>
    c.json({ software_deployment: deploymentView(await store.deployment(callerOf(c).projectId, c.req.param('id'))) }),
  );
  app.put('/software_deployments/:id', async (c) => {
    const { projectId } = callerOf(c);
    const b = bodyMap(await jsonBody(c));
    const patch: Partial<DeploymentRow> = {};
    if (b.action !== undefined) patch.action = String(b.action);
    if (b.status !== undefined) patch.status = String(b.status);
    if (b.status_reason !== undefined) patch.statusReason = String(b.status_reason);
    if (b.output_values !== undefined) patch.outputValues = obj(b.output_values);
    if (b.input_values !== undefined) patch.inputValues = obj(b.input_values);
    if (b.config_id !== undefined) patch.configId = String(b.config_id);
    return c.json({
      software_deployment: deploymentView(await store.updateDeployment(projectId, c.req.param('id'), patch)),
    });
  });
  app.delete('/software_deployments/:id', async (c) => {
    await store.deleteDeployment(callerOf(c).projectId, c.req.param('id'));
    return c.body(null, 204);
  });
  return app;
}
