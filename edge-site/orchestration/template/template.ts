/** A HOT template parsed and checked for structure (sections, versions, resource definitions). Pure. */
import { parse as parseYaml } from 'yaml';
import { BrumeError } from '../../../shared/errors.ts';

/** Dated versions Heat knows, with their release-name aliases. Later dates are accepted too. */
export const TEMPLATE_VERSIONS: ReadonlyArray<{ date: string; aliases: string[] }> = [
  { date: '2013-05-23', aliases: [] },
  { date: '2014-10-16', aliases: [] },
  { date: '2015-04-30', aliases: [] },
  { date: '2015-10-15', aliases: [] },
  { date: '2016-04-08', aliases: [] },
  { date: '2016-10-14', aliases: ['newton'] },
  { date: '2017-02-24', aliases: ['ocata'] },
  { date: '2017-09-01', aliases: ['pike'] },
  { date: '2018-03-02', aliases: ['queens'] },
  { date: '2018-08-31', aliases: ['rocky'] },
  { date: '2021-04-16', aliases: ['wallaby'] },
];

/** One entry of `parameters`. */
export interface ParameterDef {
  type: string;
  default?: unknown;
  description?: string;
  label?: string;
  hidden?: boolean;
  immutable?: boolean;
  constraints: Array<Record<string, unknown>>;
}

/** One entry of `resources`. */
export interface ResourceDef {
  type: string;
  properties: Record<string, unknown>;
  metadata: unknown;
  dependsOn: string[];
  condition?: unknown;
  deletionPolicy?: string;
}

/** A structurally valid template. */
export interface Template {
  /** The dated version (aliases resolved). */
  version: string;
  description: string;
  parameters: Record<string, ParameterDef>;
  parameterGroups: Array<{ label?: string; description?: string; parameters: string[] }>;
  conditions: Record<string, unknown>;
  resources: Record<string, ResourceDef>;
  outputs: Record<string, { value: unknown; description?: string; condition?: unknown }>;
  /** The template as given (shown by GET …/template). */
  raw: Record<string, unknown>;
}

const SECTIONS = new Set([
  'heat_template_version',
  'description',
  'parameter_groups',
  'parameters',
  'resources',
  'outputs',
  'conditions',
]);
const RESOURCE_KEYS = new Set([
  'type',
  'properties',
  'metadata',
  'depends_on',
  'update_policy',
  'deletion_policy',
  'condition',
  'external_id',
]);

function invalid(message: string): BrumeError {
  return new BrumeError('bad_request', 'orchestration.template_invalid', message, { type: 'StackValidationFailed' });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Resolves `heat_template_version` (a date or alias) to a date; throws for unknown versions. */
export function templateVersion(v: unknown): string {
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : String(v ?? '');
  const known = TEMPLATE_VERSIONS.find((t) => t.date === s || t.aliases.includes(s));
  if (known) return known.date;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) && s > '2013-05-23') return s;
  const names = TEMPLATE_VERSIONS.map((t) => `"heat_template_version.${t.date}"`).join(', ');
  throw invalid(
    `The template version is invalid: "heat_template_version: ${s}". "heat_template_version" should be one of: ${names}`,
  );
}

/** Parses template text (YAML or JSON) into an object. */
export function parseTemplateText(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw invalid(`Error parsing template: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isMap(doc)) throw invalid('The template is not a JSON object or YAML mapping.');
  return doc;
}

/** Checks a template document and returns its model. */
export function loadTemplate(input: unknown): Template {
  const raw = typeof input === 'string' ? parseTemplateText(input) : input;
  if (!isMap(raw)) throw invalid('The template is not a JSON object or YAML mapping.');
  if (!('heat_template_version' in raw)) {
    throw invalid('Template format version not found.');
  }
  const version = templateVersion(raw.heat_template_version);
  for (const k of Object.keys(raw)) if (!SECTIONS.has(k)) throw invalid(`"${k}" is not a valid template section`);
  const parameters: Record<string, ParameterDef> = {};
  for (const [name, def] of Object.entries(mapOrEmpty(raw.parameters, 'parameters'))) {
    if (!isMap(def)) throw invalid(`Parameter ${name} must be a map.`);
    const type = String(def.type ?? '');
    if (!['string', 'number', 'json', 'comma_delimited_list', 'boolean'].includes(type)) {
      throw invalid(`Invalid type (${type}) of parameter ${name}`);
    }
    const constraints = def.constraints ?? [];
    if (!Array.isArray(constraints) || !constraints.every(isMap)) {
      throw invalid(`Invalid parameter constraints for parameter ${name}, expected a list`);
    }
    parameters[name] = {
      type,
      constraints,
      ...(def.default === undefined ? {} : { default: def.default }),
      ...(typeof def.description === 'string' ? { description: def.description } : {}),
      ...(typeof def.label === 'string' ? { label: def.label } : {}),
      hidden: def.hidden === true || def.hidden === 'true',
      immutable: def.immutable === true,
    };
  }
  const resources: Record<string, ResourceDef> = {};
  for (const [name, def] of Object.entries(mapOrEmpty(raw.resources, 'resources'))) {
    if (!isMap(def)) throw invalid(`Resource ${name} is not a map.`);
    for (const k of Object.keys(def)) {
      if (!RESOURCE_KEYS.has(k)) throw invalid(`"${k}" is not a valid keyword inside a resource definition`);
    }
    if (typeof def.type !== 'string' || def.type === '') throw invalid(`Resource ${name} has no type.`);
    const dependsOn =
      def.depends_on === undefined ? [] : Array.isArray(def.depends_on) ? def.depends_on : [def.depends_on];
    for (const d of dependsOn) {
      if (typeof d !== 'string' || !(d in mapOrEmpty(raw.resources, 'resources'))) {
        throw invalid(`The specified reference "${String(d)}" (in ${name}) is incorrect.`);
      }
    }
    const props = def.properties ?? {};
    if (!isMap(props)) throw invalid(`Properties of resource ${name} must be a map.`);
    resources[name] = {
      type: def.type,
      properties: props,
      metadata: def.metadata ?? {},
      dependsOn: dependsOn as string[],
      ...(def.condition === undefined ? {} : { condition: def.condition }),
      ...(typeof def.deletion_policy === 'string' ? { deletionPolicy: def.deletion_policy } : {}),
    };
  }
  const outputs: Template['outputs'] = {};
  for (const [name, def] of Object.entries(mapOrEmpty(raw.outputs, 'outputs'))) {
    if (!isMap(def) || !('value' in def)) throw invalid(`Each output definition must contain a value key (${name}).`);
    outputs[name] = {
      value: def.value,
      ...(typeof def.description === 'string' ? { description: def.description } : {}),
      ...(def.condition === undefined ? {} : { condition: def.condition }),
    };
  }
  const groups = raw.parameter_groups ?? [];
  if (!Array.isArray(groups)) throw invalid('parameter_groups must be a list');
  const parameterGroups = groups.map((g) => {
    if (!isMap(g) || !Array.isArray(g.parameters))
      throw invalid('Parameters must be provided for each Parameter Group.');
    for (const p of g.parameters) {
      if (!(String(p) in parameters))
        throw invalid(`The grouped parameter ${String(p)} does not reference a valid parameter.`);
    }
    return {
      parameters: g.parameters.map(String),
      ...(typeof g.label === 'string' ? { label: g.label } : {}),
      ...(typeof g.description === 'string' ? { description: g.description } : {}),
    };
  });
  return {
    version,
    description: typeof raw.description === 'string' ? raw.description : 'No description',
    parameters,
    parameterGroups,
    conditions: mapOrEmpty(raw.conditions, 'conditions'),
    resources,
    outputs,
    raw,
  };
}

function mapOrEmpty(v: unknown, section: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isMap(v)) throw invalid(`The "${section}" section must be a map.`);
  return v;
}
