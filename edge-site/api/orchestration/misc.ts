/** Template validation, template versions and functions, resource types, build info. */
import { Hono } from 'hono';
import { BrumeError } from '../../../shared/errors.ts';
import { TEMPLATE_VERSIONS } from '../../orchestration/template/template.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { bodyMap, callerOf, type OrchestrationContext, parametersOf, templateOf } from './common.ts';

const FUNCTIONS: Array<[string, string]> = [
  ['get_param', 'A function for resolving parameter references.'],
  ['get_resource', 'A function for resolving resource references.'],
  ['get_attr', 'A function for resolving resource attributes.'],
  ['str_replace', 'A function for performing string substitutions.'],
  ['str_replace_strict', 'A function for performing string substitutions, failing on unused parameters.'],
  ['list_join', 'A function for joining lists with a delimiter.'],
  ['repeat', 'A function for iterating over a list of items.'],
  ['digest', 'A function for performing digest operations.'],
  ['str_split', 'A function for splitting strings.'],
  ['map_merge', 'A function for merging maps.'],
  ['list_concat', 'A function for extending lists.'],
  ['list_concat_unique', 'A function for extending lists with unique items.'],
  ['contains', 'A function for checking whether a value is in a sequence.'],
  ['get_file', 'A function for including a file inline.'],
  ['if', 'A function to return corresponding value based on condition evaluation.'],
];
const CONDITION_FUNCTIONS: Array<[string, string]> = [
  ['equals', 'A function for comparing whether two values are equal.'],
  ['not', 'A function that acts as a NOT operator on a condition.'],
  ['and', 'A function that acts as an AND operator on conditions.'],
  ['or', 'A function that acts as an OR operator on conditions.'],
  ['contains', 'A function for checking whether a value is in a sequence.'],
  ['get_param', 'A function for resolving parameter references.'],
];

function hotVersion(v: string): string | undefined {
  const m = /^heat_template_version\.(.+)$/.exec(v);
  if (!m) return undefined;
  return TEMPLATE_VERSIONS.find((t) => t.date === m[1] || t.aliases.includes(m[1] ?? ''))?.date;
}

/** The sub-app (mounted at `/v1/:project_id`). */
export function miscRoutes(ctx: OrchestrationContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/validate', async (c) => {
    const caller = callerOf(c);
    const body = bodyMap(await jsonBody(c));
    const template = templateOf(body);
    let prepared: Awaited<ReturnType<typeof ctx.engine.validate>>;
    try {
      prepared = await ctx.engine.validate(caller, template, parametersOf(body, template));
    } catch (err) {
      // Missing values are fine when only validating.
      if (!(err instanceof BrumeError && err.code === 'orchestration.parameter_missing')) throw err;
      prepared = await ctx.engine.validate(caller, template, fillMissing(template, parametersOf(body, template)));
    }
    const t = prepared.template;
    const Parameters = Object.fromEntries(
      Object.entries(t.parameters).map(([k, p]) => [
        k,
        {
          Type:
            {
              string: 'String',
              number: 'Number',
              json: 'Json',
              comma_delimited_list: 'CommaDelimitedList',
              boolean: 'Boolean',
            }[p.type] ?? 'String',
          Description: p.description ?? '',
          Label: p.label ?? k,
          NoEcho: p.hidden ? 'true' : 'false',
          ...(p.default === undefined ? {} : { Default: p.default }),
          ...(k in prepared.params && !p.hidden ? { Value: prepared.params[k] } : {}),
          ...constraintsView(p.constraints),
        },
      ]),
    );
    return c.json({
      Description: t.description,
      Parameters,
      ...(t.parameterGroups.length > 0 ? { ParameterGroups: t.parameterGroups } : {}),
      Environment: {
        parameters: {},
        parameter_defaults: {},
        resource_registry: { resources: {} },
        event_sinks: [],
        encrypted_param_names: [],
      },
    });
  });

  app.get('/template_versions', (c) => {
    callerOf(c);
    return c.json({
      template_versions: TEMPLATE_VERSIONS.flatMap((t) => [
        {
          version: `heat_template_version.${t.date}`,
          type: 'hot',
          aliases: t.aliases.map((a) => `heat_template_version.${a}`),
        },
      ]),
    });
  });

  app.get('/template_versions/:version/functions', (c) => {
    callerOf(c);
    if (!hotVersion(c.req.param('version'))) {
      throw new BrumeError(
        'not_found',
        'orchestration.version_not_found',
        `No template version ${c.req.param('version')} found.`,
        { type: 'NotFound' },
      );
    }
    const list = c.req.query('with_condition_func') === 'true' ? [...FUNCTIONS, ...CONDITION_FUNCTIONS] : FUNCTIONS;
    return c.json({ template_functions: list.map(([functions, description]) => ({ functions, description })) });
  });

  app.get('/resource_types', (c) => {
    callerOf(c);
    const names = [...ctx.types.keys()].sort();
    const filter = c.req.query('name');
    const shown = filter ? names.filter((n) => new RegExp(filter).test(n)) : names;
    if (c.req.query('with_description') === 'true') {
      return c.json({
        resource_types: shown.map((n) => ({ resource_type: n, description: ctx.types.get(n)?.description ?? '' })),
      });
    }
    return c.json({ resource_types: shown });
  });

  app.get('/resource_types/:type', (c) => {
    callerOf(c);
    const name = c.req.param('type');
    const type = ctx.types.get(name);
    if (!type)
      throw new BrumeError(
        'not_found',
        'orchestration.type_not_found',
        `The Resource Type (${name}) could not be found.`,
        { type: 'EntityNotFound' },
      );
    return c.json({
      resource_type: name,
      description: type.description,
      support_status: { status: 'SUPPORTED', version: null, message: null, previous_status: null },
      properties: Object.fromEntries(
        Object.entries(type.properties).map(([k, p]) => [
          k,
          {
            type: p.type,
            description: p.description ?? '',
            required: p.required === true,
            update_allowed: p.update_allowed === true,
            immutable: false,
            ...(p.default === undefined ? {} : { default: p.default }),
          },
        ]),
      ),
      attributes: Object.fromEntries(
        Object.entries({ ...type.attributes, show: 'Detailed information about resource.' }).map(([k, d]) => [
          k,
          { description: d },
        ]),
      ),
    });
  });

  app.get('/resource_types/:type/template', (c) => {
    callerOf(c);
    const name = c.req.param('type');
    const type = ctx.types.get(name);
    if (!type)
      throw new BrumeError(
        'not_found',
        'orchestration.type_not_found',
        `The Resource Type (${name}) could not be found.`,
        { type: 'EntityNotFound' },
      );
    const short = name.split('::').at(-1) ?? 'Resource';
    const props = Object.keys(type.properties);
    return c.json({
      heat_template_version: '2016-10-14',
      description: `Initial template of ${short}`,
      parameters: Object.fromEntries(
        Object.entries(type.properties).map(([k, p]) => [
          k,
          {
            type:
              p.type === 'integer'
                ? 'number'
                : p.type === 'map'
                  ? 'json'
                  : p.type === 'list'
                    ? 'comma_delimited_list'
                    : p.type,
            description: p.description ?? '',
          },
        ]),
      ),
      resources: { [short]: { type: name, properties: Object.fromEntries(props.map((k) => [k, { get_param: k }])) } },
      outputs: Object.fromEntries(
        Object.entries({ ...type.attributes, show: 'Detailed information about resource.' }).map(([k, d]) => [
          k,
          { description: d, value: { get_attr: [short, k] } },
        ]),
      ),
    });
  });

  app.get('/build_info', (c) => {
    callerOf(c);
    return c.json({ api: { revision: 'brume' }, engine: { revision: 'brume' } });
  });
  return app;
}

function constraintsView(constraints: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of constraints) {
    if ('allowed_values' in c) out.AllowedValues = c.allowed_values;
    if ('allowed_pattern' in c) out.AllowedPattern = c.allowed_pattern;
    if ('length' in c) {
      const l = c.length as { min?: number; max?: number };
      if (l.min !== undefined) out.MinLength = l.min;
      if (l.max !== undefined) out.MaxLength = l.max;
    }
    if ('range' in c) {
      const r = c.range as { min?: number; max?: number };
      if (r.min !== undefined) out.MinValue = r.min;
      if (r.max !== undefined) out.MaxValue = r.max;
    }
    if (typeof c.description === 'string') out.ConstraintDescription = c.description;
  }
  return out;
}

/** Fills parameters without value or default with a placeholder of their type, so validation can proceed. */
function fillMissing(template: unknown, given: Record<string, unknown>): Record<string, unknown> {
  const params = (template as { parameters?: Record<string, { type?: string; default?: unknown }> }).parameters ?? {};
  const out = { ...given };
  for (const [k, p] of Object.entries(params)) {
    if (out[k] === undefined && p?.default === undefined)
      out[k] = p?.type === 'number' ? 0 : p?.type === 'boolean' ? false : p?.type === 'json' ? {} : '';
  }
  return out;
}
