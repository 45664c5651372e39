import { describe, expect, it } from 'vitest';
import { orchestrationHarness } from '../../orchestration/testing/harness.ts';

const simple = {
  heat_template_version: '2018-08-31',
  description: 'test stack',
  parameters: {
    test_val: { type: 'string', default: 'hello' },
    secret: { type: 'string', hidden: true, default: 's3' },
  },
  resources: {
    test: { type: 'OS::Heat::TestResource', properties: { value: { get_param: 'test_val' } } },
    pw: { type: 'OS::Heat::RandomString', properties: { length: 12 } },
  },
  outputs: {
    output_value: { value: { get_attr: ['test', 'output'] }, description: 'the value' },
    pw_len: { value: { str_replace: { template: 'x$y', params: { $y: { get_resource: 'pw' } } } } },
  },
};

describe('Heat API: stacks', () => {
  it('creates a stack, redirects by name, shows it with outputs, resources, events and template', async () => {
    const h = await orchestrationHarness();
    const created = await h.call('POST', '/stacks', {
      stack_name: 's1',
      template: simple,
      parameters: { test_val: 'v1' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/\/stacks\/s1\/[0-9a-f-]{36}$/);
    const id = created.body.stack.id as string;
    await h.settle();
    const redirect = await h.call('GET', '/stacks/s1');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`http://site.test/orchestration/v1/p1/stacks/s1/${id}`);
    const shown = (await h.call('GET', `/stacks/s1/${id}`)).body.stack;
    expect(shown).toMatchObject({ stack_name: 's1', stack_status: 'CREATE_COMPLETE', description: 'test stack' });
    expect(shown.parameters).toMatchObject({
      test_val: 'v1',
      secret: '******',
      'OS::stack_name': 's1',
      'OS::stack_id': id,
    });
    expect(shown.outputs.find((o: { output_key: string }) => o.output_key === 'output_value').output_value).toBe('v1');
    const out = (await h.call('GET', `/stacks/s1/${id}/outputs/output_value`)).body.output;
    expect(out).toEqual({ output_key: 'output_value', output_value: 'v1', description: 'the value' });
    expect((await h.call('GET', `/stacks/s1/${id}/outputs/nope`)).status).toBe(404);
    const resources = (await h.call('GET', `/stacks/s1/${id}/resources`)).body.resources;
    expect(
      resources
        .map((r: { resource_name: string; resource_status: string }) => `${r.resource_name}:${r.resource_status}`)
        .sort(),
    ).toEqual(['pw:CREATE_COMPLETE', 'test:CREATE_COMPLETE']);
    const pw = (await h.call('GET', `/stacks/s1/${id}/resources/pw`)).body.resource;
    expect(pw.attributes.value).toMatch(/^[A-Za-z0-9]{12}$/);
    const events = (await h.call('GET', `/stacks/s1/${id}/events`)).body.events;
    expect(events[0]).toMatchObject({
      resource_name: 's1',
      physical_resource_id: id,
      resource_status: 'CREATE_IN_PROGRESS',
    });
    expect(events.at(-1)).toMatchObject({ resource_name: 's1', resource_status: 'CREATE_COMPLETE' });
    // Events by name redirect, with the marker the CLI's --wait uses.
    const byName = await h.call('GET', `/stacks/s1/events?marker=${events[1].id}&sort_dir=asc`);
    expect(byName.status).toBe(302);
    expect(byName.headers.get('location')).toContain(`/stacks/s1/${id}/events?marker=`);
    const tpl = await h.call('GET', `/stacks/s1/${id}/template`);
    expect(tpl.status).toBe(200);
    expect(tpl.body).toEqual(simple);
    const list = (await h.call('GET', '/stacks')).body.stacks;
    expect(list.map((s: { stack_name: string }) => s.stack_name)).toEqual(['s1']);
  });

  it('updates with PUT and PATCH in place, deletes, and frees the name', async () => {
    const h = await orchestrationHarness();
    const id = (await h.call('POST', '/stacks', { stack_name: 's2', template: simple, parameters: {} })).body.stack.id;
    await h.settle();
    const pwBefore = (await h.call('GET', `/stacks/s2/${id}/resources/pw`)).body.resource.physical_resource_id;
    expect(
      (await h.call('PUT', `/stacks/s2/${id}`, { template: simple, parameters: { test_val: 'new' } })).status,
    ).toBe(202);
    await h.settle();
    let shown = (await h.call('GET', `/stacks/s2/${id}`)).body.stack;
    expect(shown.stack_status).toBe('UPDATE_COMPLETE');
    expect(shown.outputs.find((o: { output_key: string }) => o.output_key === 'output_value').output_value).toBe('new');
    expect((await h.call('PATCH', `/stacks/s2/${id}`, { parameters: { test_val: 'patched' } })).status).toBe(202);
    await h.settle();
    shown = (await h.call('GET', `/stacks/s2/${id}`)).body.stack;
    expect(shown.stack_status).toBe('UPDATE_COMPLETE');
    expect((await h.call('GET', `/stacks/s2/${id}/outputs/output_value`)).body.output.output_value).toBe('patched');
    // Unchanged resources are kept.
    expect((await h.call('GET', `/stacks/s2/${id}/resources/pw`)).body.resource.physical_resource_id).toBe(pwBefore);
    expect((await h.call('DELETE', `/stacks/s2/${id}`)).status).toBe(204);
    await h.settle();
    expect((await h.call('GET', `/stacks/s2/${id}`)).body.stack.stack_status).toBe('DELETE_COMPLETE');
    expect((await h.call('GET', '/stacks/s2')).status).toBe(404);
    expect((await h.call('GET', '/stacks')).body.stacks).toEqual([]);
    expect((await h.call('POST', '/stacks', { stack_name: 's2', template: simple })).status).toBe(201);
  });

  it('rejects bad templates and parameters with Heat error bodies', async () => {
    const h = await orchestrationHarness();
    const bad = async (template: unknown, parameters: Record<string, unknown> = {}) =>
      h.call('POST', '/stacks', { stack_name: 'bad', template, parameters });
    const r = await bad({ heat_template_version: '2012-01-01' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 400, title: 'Bad Request', error: { type: 'StackValidationFailed' } });
    expect(r.body.error.message).toContain('The template version is invalid');
    expect(
      (await bad({ heat_template_version: 'rocky', resources: { a: { type: 'OS::Nope' } } })).body.error.message,
    ).toBe('The Resource Type (OS::Nope) could not be found.');
    const cyc = await bad({
      heat_template_version: '2016-04-08',
      resources: { a: { type: 'OS::Heat::None', depends_on: ['b'] }, b: { type: 'OS::Heat::None', depends_on: 'a' } },
    });
    expect(cyc.body.error.message).toMatch(/^Circular Dependency Found/);
    const withParam = {
      heat_template_version: '2016-04-08',
      parameters: { n: { type: 'number', constraints: [{ range: { min: 1, max: 5 } }] } },
    };
    expect((await bad(withParam)).body.error.message).toBe('The Parameter (n) was not provided.');
    expect((await bad(withParam, { n: '9' })).body.error.message).toBe(
      "Parameter 'n' is invalid: 9 is out of range (min: 1, max: 5).",
    );
    expect((await bad(withParam, { m: '1' })).body.error.message).toBe(
      'The Parameter (m) was not defined in template.',
    );
    expect((await h.call('POST', '/stacks', { stack_name: '1bad', template: simple })).status).toBe(400);
    expect((await h.call('POST', '/stacks', { stack_name: 'dup', template: simple })).status).toBe(201);
    expect((await h.call('POST', '/stacks', { stack_name: 'dup', template: simple })).status).toBe(409);
    expect((await h.call('GET', '/stacks/nope')).status).toBe(404);
    await h.settle();
  });

  it('validates templates and lists template versions and resource types', async () => {
    const h = await orchestrationHarness();
    const v = await h.call('POST', '/validate', {
      template: {
        heat_template_version: '2018-08-31',
        description: 'd',
        parameters: {
          flavor: { type: 'string', default: 'm1.tiny', constraints: [{ custom_constraint: 'nova.flavor' }] },
        },
        parameter_groups: [{ label: 'g', parameters: ['flavor'] }],
      },
    });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      Description: 'd',
      Parameters: { flavor: { Type: 'String', Default: 'm1.tiny' } },
      ParameterGroups: [{ label: 'g' }],
    });
    const badFlavor = await h.call('POST', '/validate', {
      template: {
        heat_template_version: '2018-08-31',
        parameters: {
          flavor: { type: 'string', default: 'huge', constraints: [{ custom_constraint: 'nova.flavor' }] },
        },
      },
    });
    expect(badFlavor.status).toBe(400);
    expect(badFlavor.body.error.message).toContain('The Flavor (huge) could not be found.');
    const versions = (await h.call('GET', '/template_versions')).body.template_versions;
    expect(versions.map((x: { version: string }) => x.version)).toContain('heat_template_version.2013-05-23');
    expect((await h.call('GET', '/resource_types')).body.resource_types).toContain('OS::Nova::Server');
    const server = (await h.call('GET', '/resource_types/OS::Nova::Server')).body;
    expect(server.properties.flavor).toMatchObject({ required: true, type: 'string' });
    expect(server.attributes.first_address).toBeDefined();
    expect((await h.call('GET', '/resource_types/OS::Nope')).status).toBe(404);
  });

  it('resolves get_file from the files sent with the template, and keeps them on PATCH', async () => {
    const h = await orchestrationHarness();
    const template = {
      heat_template_version: '2018-08-31',
      resources: {
        t: { type: 'OS::Heat::TestResource', properties: { value: { get_file: 'file:///tmp/script.sh' } } },
      },
      outputs: { v: { value: { get_attr: ['t', 'output'] } } },
    };
    const id = (
      await h.call('POST', '/stacks', { stack_name: 'f', template, files: { 'file:///tmp/script.sh': '#!/bin/sh' } })
    ).body.stack.id;
    await h.settle();
    expect((await h.call('GET', `/stacks/f/${id}/outputs/v`)).body.output.output_value).toBe('#!/bin/sh');
    expect((await h.call('GET', `/stacks/f/${id}/files`)).body).toEqual({ 'file:///tmp/script.sh': '#!/bin/sh' });
    await h.call('PATCH', `/stacks/f/${id}`, { parameters: {} });
    await h.settle();
    expect((await h.call('GET', `/stacks/f/${id}`)).body.stack.stack_status).toBe('UPDATE_COMPLETE');
  });

  it('stores software configs and deployments', async () => {
    const h = await orchestrationHarness();
    const cfg = (await h.call('POST', '/software_configs', { name: 'c', group: 'script', config: 'echo hi' })).body
      .software_config;
    expect(cfg).toMatchObject({ name: 'c', group: 'script', config: 'echo hi', inputs: [], outputs: [] });
    const dep = (
      await h.call('POST', '/software_deployments', { config_id: cfg.id, server_id: 'srv', action: 'ACTION0' })
    ).body.software_deployment;
    expect((await h.call('GET', '/software_deployments/metadata/srv')).body.metadata[0]).toMatchObject({
      group: 'script',
      config: 'echo hi',
    });
    const upd = await h.call('PUT', `/software_deployments/${dep.id}`, {
      action: 'ACTION1',
      status: 'COMPLETE',
      status_reason: 'done',
    });
    expect(upd.body.software_deployment).toMatchObject({
      action: 'ACTION1',
      status: 'COMPLETE',
      status_reason: 'done',
    });
    expect((await h.call('GET', '/software_configs')).body.software_configs.map((x: { id: string }) => x.id)).toEqual([
      cfg.id,
    ]);
    expect((await h.call('DELETE', `/software_deployments/${dep.id}`)).status).toBe(204);
    expect((await h.call('DELETE', `/software_configs/${cfg.id}`)).status).toBe(204);
    expect((await h.call('GET', `/software_configs/${cfg.id}`)).status).toBe(404);
  });

  it('rolls a failed update back to the previous definition when rollback is enabled', async () => {
    const h = await orchestrationHarness();
    const id = (await h.call('POST', '/stacks', { stack_name: 'u', template: simple, parameters: { test_val: 'one' } }))
      .body.stack.id;
    await h.settle();
    const failing = structuredClone(simple) as unknown as { resources: Record<string, unknown> };
    failing.resources.extra = { type: 'OS::Heat::RandomString' };
    failing.resources.test = { type: 'OS::Heat::TestResource', properties: { value: 'two', fail: true } };
    await h.call('PUT', `/stacks/u/${id}`, { template: failing, parameters: {}, disable_rollback: false });
    await h.settle();
    const stack = (await h.call('GET', `/stacks/u/${id}`)).body.stack;
    expect(stack.stack_status).toBe('ROLLBACK_COMPLETE');
    const statuses = (await h.call('GET', `/stacks/u/${id}/events`)).body.events
      .filter((e: { resource_name: string }) => e.resource_name === 'u')
      .map((e: { resource_status: string }) => e.resource_status);
    expect(statuses.slice(-4)).toEqual([
      'UPDATE_IN_PROGRESS',
      'UPDATE_FAILED',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_COMPLETE',
    ]);
    expect(stack.outputs.find((o: { output_key: string }) => o.output_key === 'output_value').output_value).toBe('one');
    const names = (await h.call('GET', `/stacks/u/${id}/resources`)).body.resources.map(
      (r: { resource_name: string }) => r.resource_name,
    );
    expect(names.sort()).toEqual(['pw', 'test']);
  });

  it('needs a token (401) of the project in the URL (403), and serves the version document without one', async () => {
    const h = await orchestrationHarness();
    const anon = await h.app.request('http://site.test/orchestration/v1/p1/stacks');
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({
      code: 401,
      title: 'Unauthorized',
      error: { message: expect.any(String) },
    });
    const other = await h.call('GET', 'http://site.test/orchestration/v1/p2/stacks');
    expect(other.status).toBe(403);
    expect(other.body.error.type).toBe('Forbidden');
    const versions = await h.app.request('http://site.test/orchestration');
    expect(((await versions.json()) as { versions: Array<{ id: string }> }).versions[0]?.id).toBe('v1.0');
  });
});
