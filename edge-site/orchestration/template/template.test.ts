import { describe, expect, it } from 'vitest';
import { isBrumeError } from '../../../shared/errors.ts';
import { evaluateCondition, type ResolveContext, referencedResources, resolve } from './functions.ts';
import { dependencyGraph, topologicalOrder, walkGraph } from './graph.ts';
import { resolveParameters } from './parameters.ts';
import { loadTemplate, templateVersion } from './template.ts';

function ctx(params: Record<string, unknown> = {}, attrs: Record<string, unknown> = {}): ResolveContext {
  return {
    param: (n) => params[n],
    hasParam: (n) => n in params,
    resourceId: (n) => (n === 'missing' ? undefined : `id-${n}`),
    attribute: async (n, a, path) => {
      let v = attrs[`${n}.${a}`] ?? null;
      for (const p of path) v = (v as Record<string, unknown>)?.[String(p)] ?? null;
      return v;
    },
    condition: (n) => n === 'yes',
    pseudo: { 'OS::stack_name': 'st' },
  };
}

const message = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (isBrumeError(err)) return `${err.kind}: ${err.message}`;
    throw err;
  }
  return 'no error';
};

describe('template structure', () => {
  it('accepts every dated version and alias, rejects unknown ones', () => {
    for (const v of [
      '2013-05-23',
      '2014-10-16',
      '2015-04-30',
      '2015-10-15',
      '2016-04-08',
      '2016-10-14',
      '2017-02-24',
      '2017-09-01',
      '2018-03-02',
      '2018-08-31',
    ]) {
      expect(templateVersion(v)).toBe(v);
    }
    expect(templateVersion('rocky')).toBe('2018-08-31');
    expect(templateVersion('2021-04-16')).toBe('2021-04-16');
    expect(() => templateVersion('2012-12-12')).toThrow(/template version is invalid/);
    expect(() => templateVersion('banana')).toThrow(/template version is invalid/);
  });

  it('parses YAML text, keeps dates as strings and rejects unknown sections and keys', () => {
    const t = loadTemplate('heat_template_version: 2013-05-23\nresources:\n  a:\n    type: OS::Heat::None\n');
    expect(t.version).toBe('2013-05-23');
    expect(t.resources.a?.type).toBe('OS::Heat::None');
    expect(() => loadTemplate({ heat_template_version: '2013-05-23', bogus: {} })).toThrow(
      '"bogus" is not a valid template section',
    );
    expect(() =>
      loadTemplate({ heat_template_version: '2013-05-23', resources: { a: { type: 'X', propertes: {} } } }),
    ).toThrow('"propertes" is not a valid keyword inside a resource definition');
    expect(() =>
      loadTemplate({ heat_template_version: '2013-05-23', resources: { a: { type: 'X', depends_on: 'b' } } }),
    ).toThrow('The specified reference "b" (in a) is incorrect.');
    expect(() => loadTemplate({ resources: {} })).toThrow('Template format version not found.');
  });
});

describe('intrinsic functions', () => {
  it('get_param (with paths and pseudo parameters), get_resource, get_attr with a nested path', async () => {
    const c = ctx({ p: { a: [10, 20] }, s: 'x' }, { 'srv.addresses': { net: [{ addr: '1.2.3.4' }] } });
    expect(await resolve({ get_param: 's' }, c)).toBe('x');
    expect(await resolve({ get_param: ['p', 'a', 1] }, c)).toBe(20);
    expect(await resolve({ get_param: 'OS::stack_name' }, c)).toBe('st');
    expect(await resolve({ get_resource: 'net' }, c)).toBe('id-net');
    expect(await resolve({ get_attr: ['srv', 'addresses', 'net', 0, 'addr'] }, c)).toBe('1.2.3.4');
    expect(await message(resolve({ get_param: 'nope' }, c))).toBe(
      'bad_request: The Parameter (nope) was not defined in template.',
    );
    expect(await message(resolve({ get_resource: 'missing' }, c))).toMatch(/The specified reference "missing"/);
  });

  it('str_replace, list_join, repeat, digest, str_split, map_merge, list_concat', async () => {
    const c = ctx({ pw: 'secret', n: 3 });
    const script = {
      str_replace: {
        template: 'pw=$pw n=$n $pwd',
        params: { $pw: { get_param: 'pw' }, $pwd: 'X', $n: { get_param: 'n' } },
      },
    };
    expect(await resolve(script, c)).toBe('pw=secret n=3 X');
    expect(await resolve({ list_join: [',', ['a', 'b'], ['c']] }, c)).toBe('a,b,c');
    expect(await resolve({ repeat: { for_each: { '<%p%>': [80, 443] }, template: { port: '<%p%>' } } }, c)).toEqual([
      { port: 80 },
      { port: 443 },
    ]);
    expect(await resolve({ repeat: { for_each: { x: ['a', 'b'], y: ['1', '2'] }, template: 'x-y' } }, c)).toEqual([
      'a-1',
      'a-2',
      'b-1',
      'b-2',
    ]);
    expect(await resolve({ digest: ['sha256', 'abc'] }, c)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await resolve({ str_split: [',', 'a,b,c', 1] }, c)).toBe('b');
    expect(await resolve({ map_merge: [{ a: 1 }, { b: 2, a: 3 }] }, c)).toEqual({ a: 3, b: 2 });
    expect(
      await resolve(
        {
          list_concat_unique: [
            [1, 2],
            [2, 3],
          ],
        },
        c,
      ),
    ).toEqual([1, 2, 3]);
    expect(await message(resolve({ str_replace_strict: { template: 'a', params: { b: 'c' } } }, c))).toMatch(
      /not found in the template: b/,
    );
  });

  it('if, equals, not, and, or, conditions by name', async () => {
    const c = ctx({ env: 'prod' });
    expect(await resolve({ if: ['yes', 'a', 'b'] }, c)).toBe('a');
    expect(await resolve({ if: [{ equals: [{ get_param: 'env' }, 'dev'] }, 'a', 'b'] }, c)).toBe('b');
    expect(await evaluateCondition({ and: ['yes', { not: { equals: [1, 2] } }] }, c)).toBe(true);
    expect(await evaluateCondition({ or: ['no', false] }, c)).toBe(false);
  });

  it('finds the resources a snippet refers to', () => {
    expect(
      [
        ...referencedResources({
          a: [{ get_resource: 'x' }, { get_attr: ['y', 'z'] }],
          b: { str_replace: { template: 't', params: { p: { get_attr: ['w', 'q'] } } } },
        }),
      ].sort(),
    ).toEqual(['w', 'x', 'y']);
  });
});

describe('parameters', () => {
  const t = loadTemplate({
    heat_template_version: '2018-08-31',
    parameters: {
      n: { type: 'number', default: 2, constraints: [{ range: { min: 1, max: 4 } }] },
      s: {
        type: 'string',
        default: 'abc',
        constraints: [{ length: { min: 2, max: 5 } }, { allowed_pattern: '[a-z]*' }],
      },
      f: {
        type: 'string',
        default: 'm1.tiny',
        constraints: [{ allowed_values: ['m1.tiny', 'm1.small'], description: 'pick a small one' }],
      },
      l: { type: 'comma_delimited_list', default: 'a,b' },
      b: { type: 'boolean', default: 'yes' },
      j: { type: 'json', default: '{"k":1}' },
      c: { type: 'string', default: 'x', constraints: [{ custom_constraint: 'nova.flavor' }] },
    },
  });

  it('types values and applies defaults', async () => {
    expect(await resolveParameters(t, { n: '3' })).toEqual({
      n: 3,
      s: 'abc',
      f: 'm1.tiny',
      l: ['a', 'b'],
      b: true,
      j: { k: 1 },
      c: 'x',
    });
  });

  it('checks range, length, pattern, allowed values (with the description) and custom constraints', async () => {
    expect(await message(resolveParameters(t, { n: '5' }))).toBe(
      "bad_request: Parameter 'n' is invalid: 5 is out of range (min: 1, max: 4).",
    );
    expect(await message(resolveParameters(t, { n: 'x' }))).toMatch(/could not convert string to float/);
    expect(await message(resolveParameters(t, { s: 'a' }))).toBe(
      "bad_request: Parameter 's' is invalid: length (1) is out of range (min: 2, max: 5).",
    );
    expect(await message(resolveParameters(t, { s: 'AB' }))).toBe(
      'bad_request: Parameter \'s\' is invalid: "AB" does not match pattern "[a-z]*"',
    );
    expect(await message(resolveParameters(t, { f: 'm1.huge' }))).toBe(
      "bad_request: Parameter 'f' is invalid: pick a small one",
    );
    const custom = async (name: string, v: unknown) =>
      name === 'nova.flavor' && v !== 'x' ? `no flavor ${String(v)}` : null;
    expect(await message(resolveParameters(t, { c: 'y' }, custom))).toBe(
      "bad_request: Parameter 'c' is invalid: no flavor y",
    );
    expect(await message(resolveParameters(t, { zz: 1 }))).toBe(
      'bad_request: The Parameter (zz) was not defined in template.',
    );
  });
});

describe('dependency graph', () => {
  const resources = loadTemplate({
    heat_template_version: '2018-08-31',
    resources: {
      net: { type: 'N' },
      subnet: { type: 'S', properties: { network: { get_resource: 'net' } } },
      server: { type: 'V', depends_on: ['subnet'], properties: { networks: [{ network: { get_resource: 'net' } }] } },
      fip: { type: 'F', properties: { port: { get_attr: ['server', 'port'] } } },
    },
  }).resources;

  it('orders dependencies first and detects cycles', () => {
    const g = dependencyGraph(resources);
    expect(topologicalOrder(g)).toEqual(['net', 'subnet', 'server', 'fip']);
    expect(() =>
      dependencyGraph(
        loadTemplate({
          heat_template_version: '2018-08-31',
          resources: {
            a: { type: 'X', properties: { p: { get_attr: ['b', 'x'] } } },
            b: { type: 'X', properties: { p: { get_resource: 'a' } } },
          },
        }).resources,
      ),
    ).toThrow(/Circular Dependency Found/);
  });

  it('runs independent resources in parallel, dependents after, and stops launching after a failure', async () => {
    const g = dependencyGraph(resources);
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const walk = walkGraph(g, (n) => {
      log.push(`start ${n}`);
      return new Promise<void>((r) =>
        gates.set(n, () => {
          log.push(`end ${n}`);
          r();
        }),
      );
    });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start net']);
    gates.get('net')?.();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start net', 'end net', 'start subnet']);
    gates.get('subnet')?.();
    await new Promise((r) => setImmediate(r));
    gates.get('server')?.();
    await new Promise((r) => setImmediate(r));
    gates.get('fip')?.();
    expect(await walk).toEqual([]);
    const reverse: string[] = [];
    await walkGraph(g, async (n) => void reverse.push(n), { reverse: true });
    expect(reverse).toEqual(['fip', 'server', 'subnet', 'net']);
    const failures = await walkGraph(g, async (n) => {
      if (n === 'subnet') throw new Error('boom');
    });
    expect(failures.map((f) => f.name)).toEqual(['subnet']);
  });
});
