import type { MiddlewareHandler } from 'hono';
import { unauthorized } from '../../../shared/errors.ts';
import type { AppEnv, AuthContext } from '../env.ts';

/** Validates tokens; implemented by identity. Must not touch the database (catalog reads are in memory). */
export interface TokenValidator {
  /** Resolves the caller, or throws a BrumeError of kind `unauthorized` (expired, revoked, bad signature, …). */
  validate(token: string): Promise<AuthContext>;
}

/** Requires a valid `X-Auth-Token` and puts the caller in `c.var.auth`. */
export function requireAuth(tokens: TokenValidator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = c.req.header('x-auth-token');
    if (!token) throw unauthorized('identity.token_missing', 'The request you have made requires authentication.');
    c.set('auth', await tokens.validate(token));
    await next();
  };
}
