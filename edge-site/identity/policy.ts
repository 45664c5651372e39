import { forbidden } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import { hasRole, isAdmin } from '../api/policy.ts';

/**
 * Keystone's default policies, reduced to this site's roles: a cloud admin (admin on any scope) may do everything;
 * a system reader may read everything; a domain reader reads its domain's users, groups, projects and
 * assignments; anyone may read itself, its own projects, groups and token, and change its own password.
 */
export const policy = {
  admin: (a: AuthContext): boolean => isAdmin(a),
  systemReader: (a: AuthContext): boolean => isAdmin(a) || (a.system === true && hasRole(a, 'reader')),
  domainReader: (a: AuthContext, domainId: string): boolean =>
    policy.systemReader(a) || (a.domain?.id === domainId && hasRole(a, 'reader')),
};

/** Throws Keystone's 403 unless `allowed`. */
export function enforce(allowed: boolean, action: string): void {
  if (!allowed) {
    throw forbidden('identity.policy_forbidden', `You are not authorized to perform the requested action: ${action}.`);
  }
}
