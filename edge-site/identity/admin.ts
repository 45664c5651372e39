import { conflict, forbidden, notFound } from '../../shared/errors.ts';
import type { CatalogWrite } from '../../shared/ports/catalog-store.ts';
import { hexId } from '../../shared/ports/ids.ts';
import type {
  CatalogCollections,
  CollectionName,
  Domain,
  Group,
  Project,
  Role,
  RoleAssignment,
  User,
} from '../../shared/schemas/catalog/index.ts';
import type { SiteDeps } from '../services.ts';
import type { Directory, Target } from './directory.ts';
import { hashPassword } from './passwords.ts';

const NOUN: Partial<Record<CollectionName, string>> = {
  domains: 'domain',
  projects: 'project',
  users: 'user',
  groups: 'group',
  roles: 'role',
  services: 'service',
  endpoints: 'endpoint',
  regions: 'region',
  credentials: 'credential',
  policies: 'policy',
  endpoint_groups: 'endpoint_group',
  endpoint_group_projects: 'endpoint_group_project',
  oauth_consumers: 'consumer',
};

/**
 * Identity writes with Keystone's invariants: names unique per domain (409), domains deleted only when disabled
 * (403), deletes cascade to memberships and assignments, passwords stored only as scrypt hashes, and changes that
 * must end sessions record revocation events.
 */
export class IdentityAdmin {
  readonly deps: SiteDeps;
  readonly dir: Directory;

  constructor(deps: SiteDeps, dir: Directory) {
    this.deps = deps;
    this.dir = dir;
  }

  newId(): string {
    return hexId(this.deps.ids);
  }

  /** The record, or a 404 naming it. */
  need<C extends CollectionName>(collection: C, id: string): CatalogCollections[C] {
    const r = this.deps.catalog.get(collection, id);
    if (!r) {
      const noun = NOUN[collection] ?? collection;
      throw notFound(`identity.${noun}_not_found`, `Could not find ${noun}: ${id}.`);
    }
    return r;
  }

  async write(writes: CatalogWrite[]): Promise<void> {
    await this.deps.catalog.apply(writes);
    for (const w of writes) this.dir.touch(w.collection);
  }

  async put<C extends CollectionName>(collection: C, record: CatalogCollections[C]): Promise<void> {
    await this.write([{ op: 'put', collection, record } as CatalogWrite]);
  }

  #unique<C extends 'domains' | 'projects' | 'users' | 'groups' | 'roles'>(
    collection: C,
    name: string,
    domainId: string | null,
    exceptId?: string,
  ): void {
    const clash = this.deps.catalog
      .list(collection)
      .some(
        (r) =>
          r.id !== exceptId &&
          r.name === name &&
          (collection === 'domains' || ('domain_id' in r ? r.domain_id : null) === domainId),
      );
    if (clash) {
      const noun = NOUN[collection] ?? collection;
      throw conflict(
        `identity.duplicate_${noun}`,
        `Conflict occurred attempting to store ${noun} - Duplicate entry found with name ${name}.`,
      );
    }
  }

  #domainMustExist(id: string): void {
    if (!this.dir.domain(id)) throw notFound('identity.domain_not_found', `Could not find domain: ${id}.`);
  }

  async saveDomain(d: Domain, isNew: boolean): Promise<void> {
    this.#unique('domains', d.name, null, d.id);
    if (!isNew) this.need('domains', d.id);
    await this.put('domains', d);
    if (!d.enabled) await this.revoke({ domain_id: d.id });
  }

  async deleteDomain(id: string): Promise<void> {
    const d = this.need('domains', id);
    if (d.enabled) {
      throw forbidden('identity.domain_enabled', 'Cannot delete a domain that is enabled, please disable it first.');
    }
    const c = this.deps.catalog;
    const writes: CatalogWrite[] = [{ op: 'delete', collection: 'domains', id }];
    if (c.get('projects', id)) writes.push({ op: 'delete', collection: 'projects', id });
    if (c.get('domain_configs', id)) writes.push({ op: 'delete', collection: 'domain_configs', id });
    for (const p of c.list('projects')) if (p.domain_id === id) writes.push(...this.#projectCascade(p.id));
    for (const u of c.list('users')) {
      if (u.domain_id === id)
        writes.push(...this.#actorCascade('user', u.id), { op: 'delete', collection: 'users', id: u.id });
    }
    for (const g of c.list('groups')) {
      if (g.domain_id === id)
        writes.push(...this.#actorCascade('group', g.id), { op: 'delete', collection: 'groups', id: g.id });
    }
    for (const r of c.list('roles')) if (r.domain_id === id) writes.push(...this.#roleCascade(r.id));
    writes.push(...this.#targetCascade('domain', id));
    await this.write(writes);
  }

  /**
   * A project acting as a domain (`is_domain`): Keystone's domains are such projects, so the domain of the same id
   * is written with it (name, description and enabled kept in step). Its domain_id is Keystone's root sentinel.
   */
  async saveDomainProject(p: Project, isNew: boolean): Promise<void> {
    const prevDomain = this.deps.catalog.get('domains', p.id);
    const d: Domain = {
      tags: [],
      ...prevDomain,
      id: p.id,
      name: p.name,
      description: p.description,
      enabled: p.enabled,
    };
    await this.saveDomain(d, isNew);
    await this.put('projects', p);
  }

  async saveProject(p: Project, isNew: boolean): Promise<void> {
    if (p.is_domain) return this.saveDomainProject(p, isNew);
    this.#domainMustExist(p.domain_id);
    this.#unique('projects', p.name, p.domain_id, p.id);
    if (!isNew) this.need('projects', p.id);
    await this.put('projects', p);
  }

  async deleteProject(id: string): Promise<void> {
    const project = this.need('projects', id);
    // Deleting a project acting as a domain deletes the domain (disabled first, as for the domain API).
    if (project.is_domain) return this.deleteDomain(id);
    if (this.deps.catalog.list('projects').some((p) => p.parent_id === id)) {
      throw forbidden('identity.project_has_children', 'Cannot delete a project that has child projects.');
    }
    await this.write(this.#projectCascade(id));
  }

  /** Creates or updates a user; `password` (when given) is hashed and ends the user's other sessions. */
  async saveUser(u: User, isNew: boolean, password?: string | null): Promise<User> {
    this.#domainMustExist(u.domain_id);
    this.#unique('users', u.name, u.domain_id, u.id);
    const prev = isNew ? undefined : this.need('users', u.id);
    const next: User = { ...u };
    if (password !== undefined) {
      if (password === null) delete next.password_hash;
      else next.password_hash = await hashPassword(password, this.deps.ids);
      next.password_changed_at = this.deps.clock.now();
    }
    await this.put('users', next);
    if (prev && (password !== undefined || (prev.enabled && !next.enabled))) await this.revoke({ user_id: u.id });
    return next;
  }

  async deleteUser(id: string): Promise<void> {
    this.need('users', id);
    // Keystone deletes a user's credentials with the user.
    const creds = this.deps.catalog.list('credentials').filter((cr) => cr.user_id === id);
    await this.write([
      ...this.#actorCascade('user', id),
      ...creds.map((cr) => ({ op: 'delete' as const, collection: 'credentials' as const, id: cr.id })),
      { op: 'delete', collection: 'users', id },
    ]);
  }

  async saveGroup(g: Group, isNew: boolean): Promise<void> {
    this.#domainMustExist(g.domain_id);
    this.#unique('groups', g.name, g.domain_id, g.id);
    if (!isNew) this.need('groups', g.id);
    await this.put('groups', g);
  }

  async deleteGroup(id: string): Promise<void> {
    this.need('groups', id);
    await this.write([...this.#actorCascade('group', id), { op: 'delete', collection: 'groups', id }]);
  }

  async saveRole(r: Role, isNew: boolean): Promise<void> {
    if (r.domain_id !== null) this.#domainMustExist(r.domain_id);
    this.#unique('roles', r.name, r.domain_id, r.id);
    if (!isNew) this.need('roles', r.id);
    await this.put('roles', r);
  }

  async deleteRole(id: string): Promise<void> {
    this.need('roles', id);
    await this.write(this.#roleCascade(id));
  }

  /** Grants a role (idempotent: the assignment id is derived from its parts). */
  async grant(actorType: 'user' | 'group', actorId: string, target: Target, roleId: string, inherited = false) {
    const a: RoleAssignment = {
      id: assignmentId(actorType, actorId, target, roleId, inherited),
      actor_type: actorType,
      actor_id: actorId,
      target_type: target.type,
      target_id: target.id,
      role_id: roleId,
      inherited,
    };
    await this.put('role_assignments', a);
  }

  /** Revokes a grant; 404 when it does not exist. */
  async ungrant(actorType: 'user' | 'group', actorId: string, target: Target, roleId: string, inherited = false) {
    const id = assignmentId(actorType, actorId, target, roleId, inherited);
    if (!this.deps.catalog.get('role_assignments', id)) {
      throw notFound('identity.assignment_not_found', `Could not find role assignment with role: ${roleId}.`);
    }
    await this.write([{ op: 'delete', collection: 'role_assignments', id }]);
  }

  /** Records a revocation event covering every matching token issued up to now. */
  async revoke(match: { audit_id?: string; user_id?: string; project_id?: string; domain_id?: string }): Promise<void> {
    const now = this.deps.clock.now();
    await this.put('revocations', { id: this.newId(), ...match, issued_before: now, revoked_at: now });
  }

  #deletes(collection: CollectionName, ids: Iterable<string>): CatalogWrite[] {
    return [...ids].map((id) => ({ op: 'delete', collection, id }) as CatalogWrite);
  }

  #targetCascade(type: 'project' | 'domain', id: string): CatalogWrite[] {
    const ids = this.deps.catalog
      .list('role_assignments')
      .filter((a) => a.target_type === type && a.target_id === id)
      .map((a) => a.id);
    return this.#deletes('role_assignments', ids);
  }

  #projectCascade(id: string): CatalogWrite[] {
    return [...this.#targetCascade('project', id), { op: 'delete', collection: 'projects', id }];
  }

  #actorCascade(type: 'user' | 'group', id: string): CatalogWrite[] {
    const c = this.deps.catalog;
    const assignments = c.list('role_assignments').filter((a) => a.actor_type === type && a.actor_id === id);
    const memberships = c
      .list('group_memberships')
      .filter((m) => (type === 'user' ? m.user_id === id : m.group_id === id));
    return [
      ...this.#deletes(
        'role_assignments',
        assignments.map((a) => a.id),
      ),
      ...this.#deletes(
        'group_memberships',
        memberships.map((m) => m.id),
      ),
    ];
  }

  #roleCascade(id: string): CatalogWrite[] {
    const c = this.deps.catalog;
    const assignments = c.list('role_assignments').filter((a) => a.role_id === id);
    const implied = c.list('implied_roles').filter((i) => i.prior_role_id === id || i.implied_role_id === id);
    return [
      ...this.#deletes(
        'role_assignments',
        assignments.map((a) => a.id),
      ),
      ...this.#deletes(
        'implied_roles',
        implied.map((i) => i.id),
      ),
      { op: 'delete', collection: 'roles', id },
    ];
  }
}

/** `${actor_type}:${actor_id}:${target_type}:${target_id}:${role_id}` (+ `:inherited`), as the catalog schema says. */
export function assignmentId(
  actorType: 'user' | 'group',
  actorId: string,
  target: Target,
  roleId: string,
  inherited = false,
): string {
  const base = `${actorType}:${actorId}:${target.type}:${target.id}:${roleId}`;
  return inherited ? `${base}:inherited` : base;
}
