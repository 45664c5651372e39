/** Stack parameters: typing of given values and defaults, and constraint checks (Heat's messages). */
import { BrumeError } from '../../../shared/errors.ts';
import type { ParameterDef, Template } from './template.ts';

/** Checks a custom constraint (`nova.flavor`, `glance.image`, …): resolves with an error message or null. */
export type CustomConstraintCheck = (name: string, value: unknown) => Promise<string | null>;

function invalidParam(name: string, message: string): BrumeError {
  return new BrumeError(
    'bad_request',
    'orchestration.parameter_invalid',
    `Parameter '${name}' is invalid: ${message}`,
    {
      type: 'StackValidationFailed',
    },
  );
}

/** Converts a given (or default) value to the parameter's type. */
export function typedValue(name: string, def: ParameterDef, value: unknown): unknown {
  switch (def.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (String(value).trim() === '' || Number.isNaN(n))
        throw invalidParam(name, `could not convert string to float: '${String(value)}'`);
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      const s = String(value).toLowerCase();
      if (['true', 't', 'on', 'y', 'yes', '1'].includes(s)) return true;
      if (['false', 'f', 'off', 'n', 'no', '0'].includes(s)) return false;
      throw invalidParam(name, `Unrecognized value "${String(value)}", acceptable values are: true, false`);
    }
    case 'comma_delimited_list':
      if (Array.isArray(value)) return value.map(String);
      return String(value) === ''
        ? []
        : String(value)
            .split(',')
            .map((s) => s.trim());
    case 'json':
      if (typeof value === 'string') {
        try {
          return JSON.parse(value);
        } catch {
          throw invalidParam(name, `Value must be valid JSON: ${value}`);
        }
      }
      return value;
    default:
      if (typeof value === 'object' && value !== null)
        throw invalidParam(name, `Value must be a string; got ${JSON.stringify(value)}`);
      return String(value);
  }
}

function measure(v: unknown): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length;
  return String(v).length;
}

/** Checks one typed value against its constraints. */
export async function checkConstraints(
  name: string,
  def: ParameterDef,
  value: unknown,
  custom?: CustomConstraintCheck,
): Promise<void> {
  for (const c of def.constraints) {
    const desc = typeof c.description === 'string' ? c.description : undefined;
    const fail = (msg: string) => invalidParam(name, desc ?? msg);
    if ('range' in c) {
      const r = (c.range ?? {}) as { min?: number; max?: number };
      const n = Number(value);
      if ((r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max)) {
        throw fail(`${n} is out of range (min: ${r.min ?? 'None'}, max: ${r.max ?? 'None'}).`);
      }
    } else if ('length' in c) {
      const r = (c.length ?? {}) as { min?: number; max?: number };
      const n = measure(value);
      if ((r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max)) {
        throw fail(`length (${n}) is out of range (min: ${r.min ?? 'None'}, max: ${r.max ?? 'None'}).`);
      }
    } else if ('modulo' in c) {
      const r = (c.modulo ?? {}) as { step?: number; offset?: number };
      if (r.step && (Number(value) - (r.offset ?? 0)) % r.step !== 0)
        throw fail(`${String(value)} is not a multiple of ${r.step} with an offset of ${r.offset ?? 0}.`);
    } else if ('allowed_values' in c) {
      const allowed = Array.isArray(c.allowed_values) ? c.allowed_values : [];
      const vals = Array.isArray(value) ? value : [value];
      for (const v of vals) {
        if (!allowed.some((a) => String(a) === String(v))) {
          throw fail(`"${String(v)}" is not an allowed value [${allowed.map(String).join(', ')}]`);
        }
      }
    } else if ('allowed_pattern' in c) {
      const pattern = String(c.allowed_pattern);
      if (!new RegExp(`^(?:${pattern})$`).test(String(value)))
        throw fail(`"${String(value)}" does not match pattern "${pattern}"`);
    } else if ('custom_constraint' in c) {
      const msg = custom ? await custom(String(c.custom_constraint), value) : null;
      if (msg) throw fail(msg);
    }
  }
}

/**
 * The values of every parameter: given ones (strings from the CLI) typed, defaults for the rest; unknown given
 * names and missing required values are 400s, like Heat.
 */
export async function resolveParameters(
  template: Template,
  given: Record<string, unknown>,
  custom?: CustomConstraintCheck,
): Promise<Record<string, unknown>> {
  for (const k of Object.keys(given)) {
    if (!(k in template.parameters)) {
      throw new BrumeError(
        'bad_request',
        'orchestration.parameter_unknown',
        `The Parameter (${k}) was not defined in template.`,
        {
          type: 'UnknownUserParameter',
        },
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(template.parameters)) {
    const raw = name in given ? given[name] : def.default;
    if (raw === undefined || raw === null) {
      throw new BrumeError(
        'bad_request',
        'orchestration.parameter_missing',
        `The Parameter (${name}) was not provided.`,
        {
          type: 'UserParameterMissing',
        },
      );
    }
    const v = typedValue(name, def, raw);
    await checkConstraints(name, def, v, custom);
    out[name] = v;
  }
  return out;
}

/** Parameters as GET stack shows them: strings, hidden ones masked, plus the pseudo parameters. */
export function shownParameters(
  template: Template,
  values: Record<string, unknown>,
  pseudo: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = { ...pseudo };
  for (const [name, def] of Object.entries(template.parameters)) {
    const v = values[name];
    if (def.hidden) out[name] = '******';
    else if (Array.isArray(v) && def.type === 'comma_delimited_list') out[name] = v.join(',');
    else out[name] = typeof v === 'string' ? v : JSON.stringify(v ?? null);
  }
  return out;
}
