import { type Context, Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { baseUrl } from './common.ts';

/** Keystone's current API version (2023.1 onwards). */
const VERSION = 'v3.14';
const UPDATED = '2020-04-07T00:00:00Z';

function version(base: string) {
  return {
    id: VERSION,
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${base}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

const REL = 'https://docs.openstack.org/api/openstack-identity/3/rel';
const JSON_HOME_RESOURCES: Record<string, string> = {
  auth_tokens: '/v3/auth/tokens',
  auth_catalog: '/v3/auth/catalog',
  auth_projects: '/v3/auth/projects',
  auth_domains: '/v3/auth/domains',
  auth_system: '/v3/auth/system',
  domains: '/v3/domains',
  projects: '/v3/projects',
  users: '/v3/users',
  groups: '/v3/groups',
  roles: '/v3/roles',
  role_assignments: '/v3/role_assignments',
  services: '/v3/services',
  endpoints: '/v3/endpoints',
  regions: '/v3/regions',
};
const JSON_HOME_TEMPLATES: Record<string, [string, Record<string, string>]> = {
  domain: ['/v3/domains/{domain_id}', { domain_id: `${REL}/param/domain_id` }],
  project: ['/v3/projects/{project_id}', { project_id: `${REL}/param/project_id` }],
  user: ['/v3/users/{user_id}', { user_id: `${REL}/param/user_id` }],
  group: ['/v3/groups/{group_id}', { group_id: `${REL}/param/group_id` }],
  role: ['/v3/roles/{role_id}', { role_id: `${REL}/param/role_id` }],
  user_projects: ['/v3/users/{user_id}/projects', { user_id: `${REL}/param/user_id` }],
  user_change_password: ['/v3/users/{user_id}/password', { user_id: `${REL}/param/user_id` }],
};

function jsonHome() {
  const resources: Record<string, unknown> = {};
  for (const [name, href] of Object.entries(JSON_HOME_RESOURCES)) resources[`${REL}/${name}`] = { href };
  for (const [name, [tpl, vars]] of Object.entries(JSON_HOME_TEMPLATES)) {
    resources[`${REL}/${name}`] = { 'href-template': tpl, 'href-vars': vars };
  }
  return { resources };
}

const wantsJsonHome = (accept: string | undefined) => accept?.includes('application/json-home') ?? false;

/** Version documents: `/` (300 Multiple Choices, like Keystone) and `/v3` (200, or JSON Home when asked). */
export function versionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => {
    if (wantsJsonHome(c.req.header('accept'))) {
      return c.body(JSON.stringify(jsonHome()), 300, { 'Content-Type': 'application/json-home' });
    }
    return c.json({ versions: { values: [version(baseUrl(c))] } }, 300);
  });
  const v3 = (c: Context<AppEnv>) => {
    if (wantsJsonHome(c.req.header('accept'))) {
      return c.body(JSON.stringify(jsonHome()), 200, { 'Content-Type': 'application/json-home' });
    }
    return c.json({ version: version(baseUrl(c)) });
  };
  app.get('/v3', v3);
  app.get('/v3/', v3);
  return app;
}
