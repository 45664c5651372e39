/** Heat's configuration resources: SoftwareConfig, CloudConfig, MultipartMime (software configs) and Value. */
import { stringify } from 'yaml';
import { deleteIgnoringNotFound, type ResourceContext, type ResourceType } from './types.ts';

async function createConfig(ctx: ResourceContext, body: Record<string, unknown>): Promise<string> {
  const r = await ctx.cloud.call<{ software_config: { id: string } }>('orchestration', 'POST', '/software_configs', {
    name: `${ctx.stackName}-${ctx.resourceName}`,
    ...body,
  });
  return r.software_config.id;
}

async function configAttribute(ctx: ResourceContext, id: string, name: string): Promise<unknown> {
  const r = await ctx.cloud.call<{ software_config: Record<string, unknown> }>(
    'orchestration',
    'GET',
    `/software_configs/${id}`,
  );
  return name === 'show' ? r.software_config : (r.software_config[name] ?? null);
}

const configType = (
  description: string,
  properties: ResourceType['properties'],
  body: (ctx: ResourceContext, p: Record<string, unknown>) => Promise<Record<string, unknown>>,
): ResourceType => ({
  description,
  properties,
  attributes: { config: 'The configuration text.' },
  create: async (ctx, p) => createConfig(ctx, await body(ctx, p)),
  delete: (ctx, id) => deleteIgnoringNotFound(ctx, 'orchestration', `/software_configs/${id}`),
  attribute: configAttribute,
});

export const heatSoftwareConfig = configType(
  'A software config (script or configuration data a server applies).',
  {
    group: { type: 'string', default: 'Heat::Ungrouped' },
    config: { type: 'string', default: '' },
    inputs: { type: 'list', default: [] },
    outputs: { type: 'list', default: [] },
    options: { type: 'map', default: {} },
  },
  async (_ctx, p) => ({ group: p.group, config: p.config, inputs: p.inputs, outputs: p.outputs, options: p.options }),
);

export const heatCloudConfig = configType(
  'A cloud-init cloud-config document.',
  { cloud_config: { type: 'map', default: {} } },
  async (_ctx, p) => ({ group: 'Heat::Ungrouped', config: `#cloud-config\n${stringify(p.cloud_config ?? {})}` }),
);

export const heatMultipartMime = configType(
  'A multipart MIME document of several configs (cloud-init).',
  { parts: { type: 'list', default: [] }, group: { type: 'string', default: 'Heat::Ungrouped' } },
  async (ctx, p) => {
    const boundary = '===============brume-heat==';
    const parts: string[] = [];
    for (const part of (p.parts ?? []) as Array<Record<string, unknown>>) {
      const ref = String(part.config ?? '');
      let text = ref;
      try {
        text = String(await configAttribute(ctx, ref, 'config'));
      } catch {
        // Not a software config id: the part is the text itself.
      }
      const subtype = String(part.subtype ?? (text.startsWith('#cloud-config') ? 'cloud-config' : 'x-shellscript'));
      parts.push(`--${boundary}\nContent-Type: text/${subtype}; charset="us-ascii"\nMIME-Version: 1.0\n\n${text}\n`);
    }
    return {
      group: p.group,
      config: `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${parts.join('')}--${boundary}--\n`,
    };
  },
);

export const heatValue: ResourceType = {
  description: 'Holds a value (typed by `type`) for other resources and outputs.',
  properties: { value: { type: 'any', required: true, update_allowed: true }, type: { type: 'string' } },
  attributes: { value: 'The value.' },
  async create(ctx, p) {
    ctx.data.value = p.value;
    return `${ctx.stackName}-${ctx.resourceName}`;
  },
  async update(ctx, _id, p) {
    ctx.data.value = p.value;
  },
  delete: async () => {},
  attribute: async (ctx, _id, name) => (name === 'value' ? (ctx.data.value ?? null) : null),
};
