import { decodeProtectedHeader, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { unauthorized } from '../../shared/errors.ts';
import type { AuthContext } from '../api/env.ts';
import type { TokenValidator } from '../api/middleware/auth.ts';
import type { SiteDeps } from '../services.ts';
import type { Directory, Target } from './directory.ts';
import type { PublicKeys, SigningKeyPair } from './keys.ts';

/** What a token says, beyond who signed it. Kept small: ids only, names and roles are looked up at validation. */
export interface TokenData {
  userId: string;
  methods: string[];
  auditIds: string[];
  scope: Target | undefined;
  /** Milliseconds since epoch. */
  issuedAt: number;
  expiresAt: number;
}

interface Claims extends JWTPayload {
  sub: string;
  /** Methods. */
  m: string[];
  /** Audit ids: this token's, then the chain's first when rescoped. */
  a: string[];
  /** Scope: `p:<id>`, `d:<id>`, `s:all`, absent when unscoped. */
  s?: string;
}

const CACHE_MAX = 50_000;
const AUTH_REQUIRED = 'The request you have made requires authentication.';

function encodeScope(t: Target | undefined): string | undefined {
  if (!t) return undefined;
  return `${t.type[0]}:${t.id}`;
}

function decodeScope(s: string | undefined): Target | undefined {
  if (!s) return undefined;
  const id = s.slice(2);
  switch (s[0]) {
    case 'p':
      return { type: 'project', id };
    case 'd':
      return { type: 'domain', id };
    case 's':
      return { type: 'system', id };
    default:
      throw unauthorized('identity.token_invalid', AUTH_REQUIRED);
  }
}

/**
 * Issues and validates JWT tokens. Validation does no I/O: the signature is checked with the signer's public key
 * from the catalog (cached per kid), verified payloads are cached by token string, and on every call the expiry,
 * revocation events, the user's and scope's enabled state and the CURRENT role assignments are re-checked.
 */
export class Tokens implements TokenValidator {
  readonly #deps: SiteDeps;
  readonly #dir: Directory;
  readonly #key: SigningKeyPair;
  readonly #publicKeys: PublicKeys;
  readonly #verified = new Map<string, TokenData>();

  constructor(deps: SiteDeps, dir: Directory, key: SigningKeyPair, publicKeys: PublicKeys) {
    this.#deps = deps;
    this.#dir = dir;
    this.#key = key;
    this.#publicKeys = publicKeys;
  }

  /** Signs a token. */
  async sign(data: TokenData): Promise<string> {
    const claims: Claims = { sub: data.userId, m: data.methods, a: data.auditIds };
    const s = encodeScope(data.scope);
    if (s) claims.s = s;
    // Fractional NumericDates keep millisecond precision (RFC 7519 allows non-integer values).
    claims.iat = data.issuedAt / 1000;
    claims.exp = data.expiresAt / 1000;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: this.#key.alg, kid: this.#key.kid })
      .sign(this.#key.privateKey);
    this.#remember(token, data);
    return token;
  }

  #remember(token: string, data: TokenData): void {
    if (this.#verified.size >= CACHE_MAX) {
      const oldest = this.#verified.keys().next();
      if (!oldest.done) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, data);
  }

  /** Verifies the signature (or finds the token already verified) and decodes it; no state checks. */
  async decode(token: string): Promise<TokenData> {
    const hit = this.#verified.get(token);
    if (hit) return hit;
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw unauthorized('identity.token_invalid', AUTH_REQUIRED);
    }
    const key = kid === undefined ? undefined : this.#publicKeys.get(kid);
    if (!key) throw unauthorized('identity.token_unknown_key', AUTH_REQUIRED);
    let payload: Claims;
    try {
      const r = await jwtVerify<Claims>(token, await key, {
        algorithms: ['EdDSA', 'ES256'],
        currentDate: new Date(this.#deps.clock.now()),
      });
      payload = r.payload;
    } catch {
      throw unauthorized('identity.token_invalid', AUTH_REQUIRED);
    }
    if (
      typeof payload.sub !== 'string' ||
      !Array.isArray(payload.m) ||
      !Array.isArray(payload.a) ||
      typeof payload.iat !== 'number' ||
      typeof payload.exp !== 'number'
    ) {
      throw unauthorized('identity.token_invalid', AUTH_REQUIRED);
    }
    const data: TokenData = {
      userId: payload.sub,
      methods: payload.m,
      auditIds: payload.a,
      scope: decodeScope(payload.s),
      issuedAt: Math.round(payload.iat * 1000),
      expiresAt: Math.round(payload.exp * 1000),
    };
    this.#remember(token, data);
    return data;
  }

  async validate(token: string): Promise<AuthContext> {
    return this.context(token, await this.decode(token));
  }

  /** Checks a decoded token against the current state of the catalog and builds the caller. */
  context(token: string, data: TokenData): AuthContext {
    const dir = this.#dir;
    if (data.expiresAt <= this.#deps.clock.now()) throw unauthorized('identity.token_expired', AUTH_REQUIRED);
    const user = dir.user(data.userId);
    const userDomain = user ? dir.domain(user.domain_id) : undefined;
    if (!user?.enabled || !userDomain?.enabled) {
      throw unauthorized('identity.user_disabled', AUTH_REQUIRED);
    }
    const scope = data.scope;
    const project = scope?.type === 'project' ? dir.project(scope.id) : undefined;
    const projectDomain = project ? dir.domain(project.domain_id) : undefined;
    const domain = scope?.type === 'domain' ? dir.domain(scope.id) : undefined;
    if (
      dir.isRevoked({
        userId: user.id,
        projectId: project?.id,
        domainId: domain?.id,
        auditIds: data.auditIds,
        issuedAt: data.issuedAt,
      })
    ) {
      throw unauthorized('identity.token_revoked', AUTH_REQUIRED);
    }
    const ctx: AuthContext = {
      token,
      userId: user.id,
      userName: user.name,
      userDomainId: userDomain.id,
      userDomainName: userDomain.name,
      roles: [],
      roleIds: [],
      methods: data.methods,
      issuedAt: data.issuedAt,
      expiresAt: data.expiresAt,
      auditIds: data.auditIds,
    };
    if (scope) {
      if (scope.type === 'project') {
        if (!project?.enabled || !projectDomain?.enabled) {
          throw unauthorized('identity.scope_disabled', AUTH_REQUIRED);
        }
        ctx.project = {
          id: project.id,
          name: project.name,
          domainId: projectDomain.id,
          domainName: projectDomain.name,
        };
      } else if (scope.type === 'domain') {
        if (!domain?.enabled) throw unauthorized('identity.scope_disabled', AUTH_REQUIRED);
        ctx.domain = { id: domain.id, name: domain.name };
      } else {
        ctx.system = true;
      }
      const roles = dir.rolesOn(user.id, scope);
      if (roles.length === 0) throw unauthorized('identity.no_roles_on_scope', AUTH_REQUIRED);
      ctx.roles = roles.map((r) => r.name);
      ctx.roleIds = roles.map((r) => r.id);
    }
    return ctx;
  }
}
