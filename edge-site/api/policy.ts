import { forbidden, unauthorized } from '../../shared/errors.ts';
import type { AuthContext } from './env.ts';

/** The default roles, strongest first: admin implies member implies reader. */
export type DefaultRole = 'admin' | 'member' | 'reader';

/** True when the caller holds `role` (implied roles already expanded at validation). */
export function hasRole(auth: AuthContext, role: DefaultRole): boolean {
  return auth.roles.includes(role);
}

/** True for a cloud admin (admin role on any scope — Keystone's legacy `admin_required` rule). */
export function isAdmin(auth: AuthContext): boolean {
  return auth.roles.includes('admin');
}

/** Throws 403 unless the caller holds `role`. */
export function requireRole(auth: AuthContext, role: DefaultRole, action = 'this action'): void {
  if (!hasRole(auth, role)) {
    throw forbidden('policy.forbidden', `Policy doesn't allow ${action} to be performed.`);
  }
}

/** The caller's project id; throws 401 for tokens without a project scope (services need one). */
export function projectOf(auth: AuthContext): string {
  if (!auth.project)
    throw unauthorized('identity.project_scope_required', 'This service requires a project-scoped token.');
  return auth.project.id;
}

/** True when the caller may see a resource owned by `projectId`: its own project, or an admin. */
export function canSeeProject(auth: AuthContext, projectId: string | null | undefined): boolean {
  return isAdmin(auth) || (projectId != null && auth.project?.id === projectId);
}
