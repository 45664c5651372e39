import type {
  Domain,
  Endpoint,
  Group,
  Project,
  Region,
  Role,
  Service,
  User,
} from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import type { Directory } from './directory.ts';

/** Keystone's timestamp: ISO 8601 with microseconds (`2026-01-01T00:00:00.000000Z`). */
export function isoMicro(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

type Links = { self: string };
const link = (base: string, path: string): { links: Links } => ({ links: { self: `${base}/v3/${path}` } });

/** Public view of a domain. */
export function domainView(d: Domain, base: string) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled,
    tags: d.tags ?? [],
    options: {},
    ...link(base, `domains/${d.id}`),
  };
}

/** Public view of a project. */
export function projectView(p: Project, base: string) {
  return {
    id: p.id,
    name: p.name,
    // A project acting as a domain is a root: Keystone shows no domain and no parent.
    domain_id: p.is_domain ? null : p.domain_id,
    description: p.description,
    enabled: p.enabled,
    parent_id: p.is_domain ? null : p.parent_id,
    is_domain: p.is_domain,
    tags: p.tags,
    options: {},
    ...link(base, `projects/${p.id}`),
  };
}

/** Public view of a user: never the password or its hash. */
export function userView(u: User, base: string) {
  return {
    ...(u.extra ?? {}),
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    ...(u.description !== undefined ? { description: u.description } : {}),
    ...(u.email !== undefined ? { email: u.email } : {}),
    ...link(base, `users/${u.id}`),
  };
}

/** Public view of a group. */
export function groupView(g: Group, base: string) {
  return {
    id: g.id,
    name: g.name,
    domain_id: g.domain_id,
    description: g.description,
    ...link(base, `groups/${g.id}`),
  };
}

/** Public view of a role. */
export function roleView(r: Role, base: string) {
  return {
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description,
    options: {},
    ...link(base, `roles/${r.id}`),
  };
}

/** Public view of a service. */
export function serviceView(s: Service, base: string) {
  return {
    id: s.id,
    type: s.type,
    name: s.name,
    description: s.description,
    enabled: s.enabled,
    ...link(base, `services/${s.id}`),
  };
}

/** Public view of an endpoint. */
export function endpointView(e: Endpoint, base: string) {
  return {
    id: e.id,
    interface: e.interface,
    region_id: e.region_id,
    region: e.region_id,
    service_id: e.service_id,
    url: e.url,
    enabled: e.enabled,
    ...link(base, `endpoints/${e.id}`),
  };
}

/** Public view of a region. */
export function regionView(r: Region, base: string) {
  return {
    id: r.id,
    description: r.description,
    parent_region_id: r.parent_region_id,
    ...link(base, `regions/${r.id}`),
  };
}

/** A collection's `links` object. */
export function collectionLinks(url: string) {
  return { self: url, next: null, previous: null };
}

/**
 * Keystone's endpoint URL templating: `$(project_id)s`, `%(project_id)s` (and the `tenant_id` spellings) become the
 * token's project id; an endpoint that needs a project is left out of a catalog without one (as Keystone does).
 */
export function substituteEndpointUrl(url: string, projectId: string | undefined): string | undefined {
  if (!/[$%]\((project_id|tenant_id)\)s/.test(url)) return url;
  return projectId === undefined ? undefined : url.replace(/[$%]\((project_id|tenant_id)\)s/g, projectId);
}

/** The v3 service catalog: every enabled service with its enabled endpoints (URLs substituted for `projectId`). */
export function serviceCatalog(dir: Directory, projectId?: string) {
  const endpoints = dir.catalog.list('endpoints');
  return dir.catalog
    .list('services')
    .filter((s) => s.enabled)
    .map((s) => ({
      id: s.id,
      name: s.name,
      type: s.type,
      endpoints: endpoints
        .filter((e) => e.service_id === s.id && e.enabled)
        .flatMap((e) => {
          const url = substituteEndpointUrl(e.url, projectId);
          return url === undefined
            ? []
            : [{ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url }];
        }),
    }));
}

/** The `token` document of POST/GET /v3/auth/tokens. */
export function tokenView(auth: AuthContext, dir: Directory, withCatalog: boolean) {
  const scoped = Boolean(auth.project || auth.domain || auth.system);
  const body: Record<string, unknown> = {
    methods: auth.methods,
    user: {
      id: auth.userId,
      name: auth.userName,
      domain: { id: auth.userDomainId, name: auth.userDomainName },
      password_expires_at: null,
    },
    audit_ids: auth.auditIds,
    expires_at: isoMicro(auth.expiresAt),
    issued_at: isoMicro(auth.issuedAt),
  };
  if (auth.project) {
    body.project = {
      id: auth.project.id,
      name: auth.project.name,
      domain: { id: auth.project.domainId, name: auth.project.domainName },
    };
    body.is_domain = false;
  }
  if (auth.domain) body.domain = { id: auth.domain.id, name: auth.domain.name };
  if (auth.system) body.system = { all: true };
  if (scoped) {
    body.roles = auth.roleIds.map((id, i) => ({ id, name: auth.roles[i] }));
    if (withCatalog) body.catalog = serviceCatalog(dir, auth.project?.id);
  }
  return body;
}
