import { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../../shared/errors.ts';
import type { DomainConfig } from '../../../shared/schemas/catalog/index.ts';
import { checkOption, DOMAIN_CONFIG_DEFAULTS, mergeGroups, splitConfig } from '../../identity/domain-config.ts';
import type { IdentityCore } from '../../identity/index.ts';
import { enforce, policy } from '../../identity/policy.ts';
import { jsonBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { caller } from './common.ts';

const configBody = z.object({ config: z.record(z.string(), z.unknown()) });

/**
 * Domain-specific configuration (/v3/domains/{id}/config…) and Keystone's defaults (/v3/domains/config/…default).
 * Keystone's defaults: system readers read, admins write; groups/options outside the whitelist are 403.
 */
export function domainConfigRoutes(core: IdentityCore): Hono<AppEnv> {
  const { admin, deps } = core;
  const c0 = deps.catalog;
  const app = new Hono<AppEnv>();
  type Ctx = Parameters<typeof caller>[0];
  const reader = (c: Ctx, action: string) => enforce(policy.systemReader(caller(c)), action);
  const writer = (c: Ctx, action: string) => enforce(policy.admin(caller(c)), action);
  const param = (c: Ctx, name: string) => c.req.param(name) ?? '';
  const configOf = (c: Ctx): DomainConfig => {
    const id = admin.need('domains', param(c, 'id')).id;
    const cfg = c0.get('domain_configs', id);
    if (!cfg) throw notFound('identity.domain_config_not_found', `Could not find domain config: ${id}.`);
    return cfg;
  };
  const groupOf = (c: Ctx) => {
    const group = param(c, 'group');
    checkOption(group);
    const cfg = configOf(c);
    const opts = cfg.config[group];
    if (!opts) throw notFound('identity.domain_config_not_found', `Could not find group ${group} in domain config.`);
    return { cfg, group, opts };
  };
  const optionOf = (c: Ctx) => {
    const { cfg, group, opts } = groupOf(c);
    const option = param(c, 'option');
    checkOption(group, option);
    if (!(option in opts)) {
      throw notFound('identity.domain_config_not_found', `Could not find option ${option} in domain config.`);
    }
    return { cfg, group, option, opts };
  };
  const save = async (cfg: DomainConfig) => {
    if (Object.keys(cfg.config).length === 0 && Object.keys(cfg.sensitive).length === 0) {
      await admin.write([{ op: 'delete', collection: 'domain_configs', id: cfg.id }]);
    } else {
      await admin.put('domain_configs', cfg);
    }
  };
  /** A PATCH body must name the group (and option) of its path, when the path names one. */
  const scoped = (body: Record<string, unknown>, key: string): Record<string, unknown> => {
    const keys = Object.keys(body);
    if (keys.length !== 1 || keys[0] !== key) {
      throw badRequest('identity.invalid_domain_config', `Invalid input for field/attribute config: expected ${key}.`);
    }
    return body;
  };

  // Defaults (no domain).
  app.get('/config/default', (c) => {
    reader(c, 'identity:get_domain_config_default');
    return c.json({ config: DOMAIN_CONFIG_DEFAULTS });
  });
  app.get('/config/:group/default', (c) => {
    reader(c, 'identity:get_domain_config_default');
    const group = param(c, 'group');
    checkOption(group);
    return c.json({ config: { [group]: DOMAIN_CONFIG_DEFAULTS[group] } });
  });
  app.get('/config/:group/:option/default', (c) => {
    reader(c, 'identity:get_domain_config_default');
    const group = param(c, 'group');
    const option = param(c, 'option');
    checkOption(group, option);
    return c.json({ config: { [option]: DOMAIN_CONFIG_DEFAULTS[group]?.[option] ?? null } });
  });

  // A domain's configuration.
  app.put('/:id/config', async (c) => {
    writer(c, 'identity:create_domain_config');
    const id = admin.need('domains', param(c, 'id')).id;
    const { config } = await jsonBody(c, configBody);
    if (Object.keys(config).length === 0) throw badRequest('identity.invalid_domain_config', 'Empty config.');
    const existed = c0.get('domain_configs', id) !== undefined;
    const cfg: DomainConfig = { id, ...splitConfig(config) };
    await save(cfg);
    return c.json({ config: cfg.config }, existed ? 200 : 201);
  });
  app.get('/:id/config', (c) => {
    reader(c, 'identity:get_domain_config');
    return c.json({ config: configOf(c).config });
  });
  app.patch('/:id/config', async (c) => {
    writer(c, 'identity:update_domain_config');
    const prev = configOf(c);
    const { config } = await jsonBody(c, configBody);
    const upd = splitConfig(config);
    const cfg = {
      ...prev,
      config: mergeGroups(prev.config, upd.config),
      sensitive: mergeGroups(prev.sensitive, upd.sensitive),
    };
    await save(cfg);
    return c.json({ config: cfg.config });
  });
  app.delete('/:id/config', async (c) => {
    writer(c, 'identity:delete_domain_config');
    await admin.write([{ op: 'delete', collection: 'domain_configs', id: configOf(c).id }]);
    return c.body(null, 204);
  });
  app.get('/:id/config/:group', (c) => {
    reader(c, 'identity:get_domain_config');
    const { group, opts } = groupOf(c);
    return c.json({ config: { [group]: opts } });
  });
  app.patch('/:id/config/:group', async (c) => {
    writer(c, 'identity:update_domain_config');
    const { cfg: prev, group } = groupOf(c);
    const { config } = await jsonBody(c, configBody);
    const upd = splitConfig(scoped(config, group));
    const cfg = {
      ...prev,
      config: mergeGroups(prev.config, upd.config),
      sensitive: mergeGroups(prev.sensitive, upd.sensitive),
    };
    await save(cfg);
    return c.json({ config: cfg.config });
  });
  app.delete('/:id/config/:group', async (c) => {
    writer(c, 'identity:delete_domain_config');
    const { cfg, group } = groupOf(c);
    const { [group]: _g, ...config } = cfg.config;
    const { [group]: _s, ...sensitive } = cfg.sensitive;
    await save({ ...cfg, config, sensitive });
    return c.body(null, 204);
  });
  app.get('/:id/config/:group/:option', (c) => {
    reader(c, 'identity:get_domain_config');
    const { option, opts } = optionOf(c);
    return c.json({ config: { [option]: opts[option] } });
  });
  app.patch('/:id/config/:group/:option', async (c) => {
    writer(c, 'identity:update_domain_config');
    const { cfg: prev, group, option } = optionOf(c);
    const { config } = await jsonBody(c, configBody);
    const upd = splitConfig({ [group]: scoped(config, option) });
    const cfg = { ...prev, config: mergeGroups(prev.config, upd.config) };
    await save(cfg);
    return c.json({ config: cfg.config });
  });
  app.delete('/:id/config/:group/:option', async (c) => {
    writer(c, 'identity:delete_domain_config');
    const { cfg, group, option, opts } = optionOf(c);
    const { [option]: _o, ...rest } = opts;
    const { [group]: _g, ...others } = cfg.config;
    await save({ ...cfg, config: Object.keys(rest).length > 0 ? { ...others, [group]: rest } : others });
    return c.body(null, 204);
  });
  return app;
}
