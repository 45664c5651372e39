import { createHash } from 'node:crypto';
import type { CatalogWrite } from '../../shared/ports/catalog-store.ts';
import type { CatalogCollections, Endpoint, Service } from '../../shared/schemas/catalog/index.ts';
import { assignmentId, type IdentityAdmin } from './admin.ts';
import { verifyPassword } from './passwords.ts';

/** The id of the default domain (Keystone's). */
export const DEFAULT_DOMAIN_ID = 'default';

/** Services published at bootstrap: type, name, path under the public URL. */
const SERVICES: ReadonlyArray<{ type: string; name: string; path: string; description: string }> = [
  { type: 'identity', name: 'keystone', path: '/v3', description: 'Identity (Keystone v3)' },
  { type: 'compute', name: 'nova', path: '/compute/v2.1', description: 'Compute (Nova v2.1)' },
  { type: 'image', name: 'glance', path: '/image', description: 'Image (Glance v2)' },
  { type: 'network', name: 'neutron', path: '/network', description: 'Network (Neutron v2.0)' },
  { type: 'volumev3', name: 'cinderv3', path: '/volume/v3/$(project_id)s', description: 'Block Storage (Cinder v3)' },
  {
    type: 'block-storage',
    name: 'cinder',
    path: '/volume/v3/$(project_id)s',
    description: 'Block Storage (Cinder v3)',
  },
  {
    type: 'orchestration',
    name: 'heat',
    path: '/orchestration/v1/$(project_id)s',
    description: 'Orchestration (Heat v1)',
  },
];

/**
 * Ids of bootstrap records, derived from what they are (an RFC 9562 v8 UUID, dashes dropped as in `hexId`): sites
 * that bootstrap concurrently before they first sync write the same ids, so their catalogs merge into one default
 * set of roles, projects, admin user and services instead of duplicates (federation).
 */
export function bootstrapId(...parts: string[]): string {
  const h = createHash('sha256')
    .update(`brume-bootstrap\u0000${parts.join('\u0000')}`)
    .digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x80;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  return h.subarray(0, 16).toString('hex');
}

const INTERFACES: ReadonlyArray<Endpoint['interface']> = ['public', 'internal', 'admin'];

/** Input of {@link bootstrap}. */
export interface BootstrapInput {
  adminUser: string;
  adminPassword: string;
  adminProject: string;
  publicUrl: string;
}

/**
 * Keystone's `keystone-manage bootstrap`, idempotent: default domain, roles admin ⊃ member ⊃ reader, the `service`
 * and admin projects, the admin user with admin on its project and on the system, this site's region, and the
 * catalog (one endpoint per interface per service in this region, URLs refreshed when the public URL changed).
 * An existing admin user gets the configured password back (as keystone-manage bootstrap does).
 */
export async function bootstrap(admin: IdentityAdmin, region: string, input: BootstrapInput): Promise<void> {
  const { dir, deps } = admin;
  const c = deps.catalog;
  if (!dir.domain(DEFAULT_DOMAIN_ID)) {
    await admin.put('domains', {
      id: DEFAULT_DOMAIN_ID,
      name: 'Default',
      description: 'The default domain',
      enabled: true,
      tags: [],
    });
  }
  const roleIds: Record<string, string> = {};
  for (const name of ['admin', 'member', 'reader']) {
    let role = dir.roleByName(name);
    if (!role) {
      role = { id: bootstrapId('role', name), name, domain_id: null, description: '' };
      await admin.put('roles', role);
    }
    roleIds[name] = role.id;
  }
  for (const [prior, implied] of [
    ['admin', 'member'],
    ['member', 'reader'],
  ] as const) {
    const p = roleIds[prior] as string;
    const i = roleIds[implied] as string;
    if (!c.get('implied_roles', `${p}:${i}`)) {
      await admin.put('implied_roles', { id: `${p}:${i}`, prior_role_id: p, implied_role_id: i });
    }
  }
  const projectId = async (name: string, description: string): Promise<string> => {
    const found = dir.projectByName(name, DEFAULT_DOMAIN_ID);
    if (found) return found.id;
    const id = bootstrapId('project', DEFAULT_DOMAIN_ID, name);
    await admin.saveProject(
      {
        id,
        name,
        domain_id: DEFAULT_DOMAIN_ID,
        description,
        enabled: true,
        parent_id: DEFAULT_DOMAIN_ID,
        is_domain: false,
        tags: [],
      },
      true,
    );
    return id;
  };
  const adminProjectId = await projectId(input.adminProject, 'Bootstrap project for initializing the cloud.');
  await projectId('service', 'Service project');
  let user = dir.userByName(input.adminUser, DEFAULT_DOMAIN_ID);
  if (!user) {
    user = await admin.saveUser(
      {
        id: bootstrapId('user', DEFAULT_DOMAIN_ID, input.adminUser),
        name: input.adminUser,
        domain_id: DEFAULT_DOMAIN_ID,
        enabled: true,
        default_project_id: adminProjectId,
      },
      true,
      input.adminPassword,
    );
  } else if (!(await verifyPassword(input.adminPassword, user.password_hash))) {
    // Like keystone-manage bootstrap: the configured password wins at start-up.
    user = await admin.saveUser({ ...user, enabled: true }, false, input.adminPassword);
  }
  const adminRole = roleIds.admin as string;
  // Granted once: a federation's sites all bootstrap, and the same grant rewritten at each of N sites is N
  // concurrent values of one key that every replica keeps and compares on every merge.
  for (const target of [
    { type: 'project', id: adminProjectId },
    { type: 'system', id: 'all' },
  ] as const) {
    if (!c.get('role_assignments', assignmentId('user', user.id, target, adminRole, false))) {
      await admin.grant('user', user.id, target, adminRole);
    }
  }

  // This site's region, services and endpoints go in one batch: on a federated site each write is a change every
  // peer merges, and a site joining a federation of N sites would otherwise cost N times ~22 sync rounds.
  const batch: CatalogWrite[] = [];
  const put = <C extends 'regions' | 'services' | 'endpoints'>(collection: C, record: CatalogCollections[C]) =>
    batch.push({ op: 'put', collection, record } as CatalogWrite);
  if (!c.get('regions', region)) put('regions', { id: region, description: '', parent_region_id: null });
  const base = input.publicUrl.replace(/\/+$/, '');
  for (const s of SERVICES) {
    let service: Service | undefined = c.list('services').find((x) => x.type === s.type && x.name === s.name);
    if (!service) {
      service = {
        id: bootstrapId('service', s.type, s.name),
        type: s.type,
        name: s.name,
        description: s.description,
        enabled: true,
      };
      put('services', service);
    }
    const url = `${base}${s.path}`;
    for (const iface of INTERFACES) {
      const existing = c
        .list('endpoints')
        .find((e) => e.service_id === service.id && e.region_id === region && e.interface === iface);
      if (!existing) {
        const e: Endpoint = {
          id: bootstrapId('endpoint', region, s.type, s.name, iface),
          service_id: service.id,
          interface: iface,
          url,
          region_id: region,
          enabled: true,
        };
        put('endpoints', e);
      } else if (existing.url !== url) {
        put('endpoints', { ...existing, url });
      }
    }
  }
  if (batch.length > 0) await admin.write(batch);
}
