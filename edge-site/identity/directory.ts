import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type {
  CollectionName,
  Domain,
  Project,
  Revocation,
  Role,
  RoleAssignment,
  User,
} from '../../shared/schemas/catalog/index.ts';

/** What a role is granted on. */
export type Target = { type: 'project' | 'domain' | 'system'; id: string };

interface Indexes {
  usersByName: Map<string, User>;
  projectsByName: Map<string, Project>;
  domainsByName: Map<string, Domain>;
  rolesByName: Map<string, Role>;
  assignmentsByActor: Map<string, RoleAssignment[]>;
  groupsOfUser: Map<string, string[]>;
  implied: Map<string, string[]>;
  revocations: { byAudit: Map<string, Revocation[]>; byUser: Map<string, Revocation[]>; other: Revocation[] };
}

const key = (a: string, b: string) => `${a}\u0000${b}`;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/**
 * Identity as read from the replicated catalog, with lazily rebuilt in-memory indexes (names, assignments, group
 * membership, implied roles, revocations). No I/O: this is what token validation reads.
 */
export class Directory {
  readonly catalog: CatalogStore;
  readonly #versions = new Map<CollectionName, number>();
  readonly #built = new Map<keyof Indexes, { stamp: string; value: unknown }>();

  constructor(catalog: CatalogStore) {
    this.catalog = catalog;
    catalog.subscribe((change) => this.touch(change.collection));
  }

  /** Marks a collection changed (called on every catalog notification and after our own writes). */
  touch(collection: CollectionName): void {
    this.#versions.set(collection, (this.#versions.get(collection) ?? 0) + 1);
  }

  #index<K extends keyof Indexes>(name: K, deps: CollectionName[], build: () => Indexes[K]): Indexes[K] {
    const stamp = deps.map((d) => this.#versions.get(d) ?? 0).join(',');
    const cached = this.#built.get(name);
    if (cached && cached.stamp === stamp) return cached.value as Indexes[K];
    const value = build();
    this.#built.set(name, { stamp, value });
    return value;
  }

  domain(id: string): Domain | undefined {
    return this.catalog.get('domains', id);
  }
  project(id: string): Project | undefined {
    return this.catalog.get('projects', id);
  }
  user(id: string): User | undefined {
    return this.catalog.get('users', id);
  }
  role(id: string): Role | undefined {
    return this.catalog.get('roles', id);
  }

  domainByName(name: string): Domain | undefined {
    return this.#index('domainsByName', ['domains'], () => {
      const m = new Map<string, Domain>();
      for (const d of this.catalog.list('domains')) if (!m.has(d.name)) m.set(d.name, d);
      return m;
    }).get(name);
  }

  userByName(name: string, domainId: string): User | undefined {
    return this.#index('usersByName', ['users'], () => {
      const m = new Map<string, User>();
      for (const u of this.catalog.list('users'))
        if (!m.has(key(u.domain_id, u.name))) m.set(key(u.domain_id, u.name), u);
      return m;
    }).get(key(domainId, name));
  }

  projectByName(name: string, domainId: string): Project | undefined {
    return this.#index('projectsByName', ['projects'], () => {
      const m = new Map<string, Project>();
      for (const p of this.catalog.list('projects')) {
        if (!m.has(key(p.domain_id, p.name))) m.set(key(p.domain_id, p.name), p);
      }
      return m;
    }).get(key(domainId, name));
  }

  /** Global roles by name (domain-specific roles are looked up by id). */
  roleByName(name: string): Role | undefined {
    return this.#index('rolesByName', ['roles'], () => {
      const m = new Map<string, Role>();
      for (const r of this.catalog.list('roles')) if (r.domain_id === null && !m.has(r.name)) m.set(r.name, r);
      return m;
    }).get(name);
  }

  /** Group ids the user belongs to. */
  groupsOf(userId: string): readonly string[] {
    return (
      this.#index('groupsOfUser', ['group_memberships'], () => {
        const m = new Map<string, string[]>();
        for (const gm of this.catalog.list('group_memberships')) push(m, gm.user_id, gm.group_id);
        return m;
      }).get(userId) ?? []
    );
  }

  /** Assignments held directly by an actor. */
  assignmentsOf(actorType: 'user' | 'group', actorId: string): readonly RoleAssignment[] {
    return (
      this.#index('assignmentsByActor', ['role_assignments'], () => {
        const m = new Map<string, RoleAssignment[]>();
        for (const a of this.catalog.list('role_assignments')) push(m, key(a.actor_type, a.actor_id), a);
        return m;
      }).get(key(actorType, actorId)) ?? []
    );
  }

  /** Role ids implied by `roleId`, directly. */
  impliedBy(roleId: string): readonly string[] {
    return (
      this.#index('implied', ['implied_roles'], () => {
        const m = new Map<string, string[]>();
        for (const ir of this.catalog.list('implied_roles')) push(m, ir.prior_role_id, ir.implied_role_id);
        return m;
      }).get(roleId) ?? []
    );
  }

  /** Closes a set of role ids under implication (cycle-safe). */
  expand(roleIds: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const stack = [...roleIds];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (out.has(id)) continue;
      out.add(id);
      stack.push(...this.impliedBy(id));
    }
    return out;
  }

  /** Parent projects of a project, nearest first (stops at the domain; cycle-safe). */
  ancestors(projectId: string): string[] {
    const out: string[] = [];
    let p = this.project(projectId);
    while (p?.parent_id && p.parent_id !== p.domain_id && !out.includes(p.parent_id)) {
      out.push(p.parent_id);
      p = this.project(p.parent_id);
    }
    return out;
  }

  /**
   * Assignments that give `userId` roles on `target`: direct, via groups, and inherited (OS-INHERIT) from the
   * project's parents or its domain.
   */
  effectiveAssignments(userId: string, target?: Target): RoleAssignment[] {
    const all = [...this.assignmentsOf('user', userId)];
    for (const g of this.groupsOf(userId)) all.push(...this.assignmentsOf('group', g));
    if (!target) return all;
    const project = target.type === 'project' ? this.project(target.id) : undefined;
    const parents = project ? this.ancestors(project.id) : [];
    return all.filter(
      (a) =>
        (a.target_type === target.type && a.target_id === target.id && !a.inherited) ||
        (project !== undefined &&
          a.inherited &&
          ((a.target_type === 'domain' && a.target_id === project.domain_id) ||
            (a.target_type === 'project' && parents.includes(a.target_id)))),
    );
  }

  /**
   * Effective roles (implied expanded) of a user on a target. Domain-specific roles only confer what they imply
   * (Keystone never puts them in tokens).
   */
  rolesOn(userId: string, target: Target): Role[] {
    const ids = this.expand(this.effectiveAssignments(userId, target).map((a) => a.role_id));
    const roles: Role[] = [];
    for (const id of ids) {
      const r = this.role(id);
      if (r && r.domain_id === null) roles.push(r);
    }
    return roles;
  }

  /** Projects on which the user has at least one role (directly, via groups, or inherited). */
  projectsOf(userId: string): Project[] {
    const assignments = this.effectiveAssignments(userId);
    const ids = new Set<string>();
    const inheritedFrom = new Set<string>();
    for (const a of assignments) {
      if (a.target_type === 'project' && !a.inherited) ids.add(a.target_id);
      else if (a.inherited) inheritedFrom.add(a.target_id);
    }
    return this.catalog
      .list('projects')
      .filter(
        (p) =>
          !p.is_domain &&
          (ids.has(p.id) || inheritedFrom.has(p.domain_id) || this.ancestors(p.id).some((x) => inheritedFrom.has(x))),
      );
  }

  /** Domains on which the user has a (non-inherited) role. */
  domainsOf(userId: string): Domain[] {
    const ids = new Set(
      this.effectiveAssignments(userId)
        .filter((a) => a.target_type === 'domain' && !a.inherited)
        .map((a) => a.target_id),
    );
    return this.catalog.list('domains').filter((d) => ids.has(d.id));
  }

  /** True when a revocation event matches the token (Keystone's model: every present field matches). */
  isRevoked(t: {
    userId: string;
    projectId?: string;
    domainId?: string;
    auditIds: string[];
    issuedAt: number;
  }): boolean {
    const idx = this.#index('revocations', ['revocations'], () => {
      const byAudit = new Map<string, Revocation[]>();
      const byUser = new Map<string, Revocation[]>();
      const other: Revocation[] = [];
      for (const r of this.catalog.list('revocations')) {
        if (r.audit_id) push(byAudit, r.audit_id, r);
        else if (r.user_id) push(byUser, r.user_id, r);
        else other.push(r);
      }
      return { byAudit, byUser, other };
    });
    const candidates = [...(idx.byUser.get(t.userId) ?? []), ...idx.other];
    for (const a of t.auditIds) candidates.push(...(idx.byAudit.get(a) ?? []));
    return candidates.some(
      (r) =>
        t.issuedAt <= r.issued_before &&
        (r.audit_id === undefined || t.auditIds.includes(r.audit_id)) &&
        (r.user_id === undefined || r.user_id === t.userId) &&
        (r.project_id === undefined || r.project_id === t.projectId) &&
        (r.domain_id === undefined || r.domain_id === t.domainId),
    );
  }
}
