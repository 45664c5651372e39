import { z } from 'zod';
import { badRequest, unauthorized } from '../../shared/errors.ts';
import { toHex } from '../../shared/ports/ids.ts';
import type { User } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import type { SiteDeps } from '../services.ts';
import type { Directory, Target } from './directory.ts';
import { verifyPassword } from './passwords.ts';
import type { Tokens } from './tokens.ts';

const domainRef = z.object({ id: z.string().optional(), name: z.string().optional() }).optional();
const named = z.object({ id: z.string().optional(), name: z.string().optional(), domain: domainRef });

/** The body of POST /v3/auth/tokens. */
export const authRequestSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()).min(1),
      password: z.object({ user: named.extend({ password: z.string() }) }).optional(),
      token: z.object({ id: z.string() }).optional(),
    }),
    scope: z
      .union([
        z.literal('unscoped'),
        z.object({
          project: named.optional(),
          domain: domainRef,
          system: z.object({ all: z.boolean().optional() }).optional(),
        }),
      ])
      .optional(),
  }),
});

/** A parsed authentication request. */
export type AuthRequest = z.infer<typeof authRequestSchema>;

const AUTH_REQUIRED = 'The request you have made requires authentication.';

function fail(code: string, message = AUTH_REQUIRED): never {
  throw unauthorized(code, message);
}

/** Authenticates and issues a token (Keystone's POST /v3/auth/tokens), returning it with the caller it names. */
export async function authenticate(
  deps: SiteDeps,
  dir: Directory,
  tokens: Tokens,
  req: AuthRequest,
): Promise<{ token: string; auth: AuthContext }> {
  const { identity, scope } = req.auth;
  const now = deps.clock.now();
  let expiresAt = now + deps.config.tokens.ttlSeconds * 1000;
  const auditId = toHex(deps.ids.bytes(16));
  let user: User;
  let methods: string[];
  let auditIds = [auditId];
  let inherited: Target | undefined;

  if (identity.methods.includes('password')) {
    const p = identity.password;
    if (!p) throw badRequest('identity.invalid_auth', 'Invalid input for field/attribute auth.identity.password.');
    const found = findUser(dir, p.user);
    if (!found || !(await verifyPassword(p.user.password, found.password_hash))) {
      fail('identity.bad_credentials', 'The request you have made requires authentication.');
    }
    user = found;
    methods = ['password'];
  } else if (identity.methods.includes('token')) {
    const t = identity.token;
    if (!t) throw badRequest('identity.invalid_auth', 'Invalid input for field/attribute auth.identity.token.');
    const data = await tokens.decode(t.id);
    const prior = tokens.context(t.id, data);
    const found = dir.user(prior.userId);
    if (!found) fail('identity.bad_credentials');
    user = found;
    methods = ['token', ...data.methods.filter((m) => m !== 'token')];
    auditIds = [auditId, data.auditIds[data.auditIds.length - 1] ?? auditId];
    expiresAt = Math.min(expiresAt, data.expiresAt);
    inherited = data.scope;
  } else {
    fail('identity.unsupported_method', 'Attempted to authenticate with an unsupported method.');
  }
  if (!user.enabled) fail('identity.user_disabled');
  const userDomain = dir.domain(user.domain_id);
  if (!userDomain?.enabled) fail('identity.user_disabled');

  let target: Target | undefined;
  if (scope === undefined) {
    target = inherited ?? defaultProject(dir, user);
  } else if (scope !== 'unscoped') {
    target = resolveScope(dir, scope);
  }
  const data = { userId: user.id, methods, auditIds, scope: target, issuedAt: now, expiresAt };
  // A revocation recorded in this same millisecond (e.g. a password change just before this login) must not
  // catch the new token: it was issued after the event.
  const probe = {
    userId: user.id,
    auditIds,
    issuedAt: now,
    ...(target?.type === 'project' ? { projectId: target.id } : {}),
    ...(target?.type === 'domain' ? { domainId: target.id } : {}),
  };
  if (dir.isRevoked(probe) && !dir.isRevoked({ ...probe, issuedAt: now + 1 })) data.issuedAt = now + 1;
  const auth = tokens.context('', data);
  const token = await tokens.sign(data);
  return { token, auth: { ...auth, token } };
}

function findUser(dir: Directory, ref: z.infer<typeof named>): User | undefined {
  if (ref.id) return dir.user(ref.id);
  if (!ref.name)
    throw badRequest('identity.invalid_auth', 'Invalid input for field/attribute auth.identity.password.user.');
  const domainId = domainIdOf(dir, ref.domain, 'auth.identity.password.user.domain');
  return domainId === undefined ? undefined : dir.userByName(ref.name, domainId);
}

function domainIdOf(
  dir: Directory,
  ref: { id?: string; name?: string } | undefined,
  field: string,
): string | undefined {
  if (ref?.id) return ref.id;
  if (ref?.name) return dir.domainByName(ref.name)?.id;
  throw badRequest(
    'identity.invalid_auth',
    `Invalid input for field/attribute ${field}: a domain id or name is required.`,
  );
}

function resolveScope(dir: Directory, scope: Exclude<AuthRequest['auth']['scope'], 'unscoped' | undefined>): Target {
  if (scope.project) {
    const ref = scope.project;
    let id = ref.id;
    if (!id) {
      if (!ref.name)
        throw badRequest('identity.invalid_scope', 'Invalid input for field/attribute auth.scope.project.');
      const domainId = domainIdOf(dir, ref.domain, 'auth.scope.project.domain');
      id = domainId === undefined ? undefined : dir.projectByName(ref.name, domainId)?.id;
    }
    if (!id || !dir.project(id)) fail('identity.scope_not_found', 'Could not find project for the requested scope.');
    return { type: 'project', id };
  }
  if (scope.domain) {
    const d = scope.domain.id
      ? dir.domain(scope.domain.id)
      : scope.domain.name
        ? dir.domainByName(scope.domain.name)
        : undefined;
    if (!d) fail('identity.scope_not_found', 'Could not find domain for the requested scope.');
    return { type: 'domain', id: d.id };
  }
  if (scope.system) {
    if (scope.system.all !== true)
      throw badRequest('identity.invalid_scope', 'Invalid input for field/attribute auth.scope.system.all.');
    return { type: 'system', id: 'all' };
  }
  throw badRequest(
    'identity.invalid_scope',
    'Invalid input for field/attribute auth.scope: name a project, domain or system.',
  );
}

/** Keystone scopes to the user's default project when no scope is asked for and the user has a role there. */
function defaultProject(dir: Directory, user: User): Target | undefined {
  const id = user.default_project_id;
  if (!id) return undefined;
  const p = dir.project(id);
  if (!p?.enabled) return undefined;
  const target: Target = { type: 'project', id };
  return dir.rolesOn(user.id, target).length > 0 ? target : undefined;
}
