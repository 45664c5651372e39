/**
 * Long stack operations outlive the caller's token (Heat uses trusts for this): the engine swaps it for a delegated
 * token of the stack's user on the stack's project (IdentityService.issueDelegatedToken) when it is near expiry.
 * Tokens are valid at every site, so the same token serves local and remote resources.
 */
import type { Clock } from '../../../shared/ports/clock.ts';
import type { Caller } from '../sites.ts';

/** How the engine gets a token on a user's behalf. */
export interface TokenRefresh {
  /** A project-scoped token for `userId` (throws when the user has no role on the project any more). */
  issue(input: { userId: string; projectId: string; ttlMs: number }): Promise<string>;
  /** Lifetime asked for (the identity service caps it at its token TTL). */
  ttlMs: number;
  /** A token is replaced when it has less than this left. */
  marginMs: number;
}

/** The refresh settings for a site whose tokens live `ttlSeconds`. */
export function refreshFor(issue: TokenRefresh['issue'], ttlSeconds: number): TokenRefresh {
  const ttlMs = ttlSeconds * 1000;
  return { issue, ttlMs, marginMs: Math.min(5 * 60_000, Math.floor(ttlMs / 4)) };
}

/**
 * `caller` with a `freshToken` that answers its token while it has more than the margin left, then a delegated
 * one (one issue at a time, shared by concurrent calls). Without `refresh` the caller is returned as is.
 */
export function refreshingCaller(caller: Caller, clock: Clock, refresh: TokenRefresh | undefined): Caller {
  if (!refresh) return caller;
  let token = caller.token;
  // A caller without a known expiry (a recovered stack: no token at all) gets a delegated token on first use.
  let expiresAt = caller.expiresAt ?? (token === '' ? 0 : Number.POSITIVE_INFINITY);
  let pending: Promise<string> | undefined;
  const freshToken = async (): Promise<string> => {
    if (clock.now() < expiresAt - refresh.marginMs) return token;
    pending ??= (async () => {
      try {
        const issuedAt = clock.now();
        token = await refresh.issue({ userId: caller.userId, projectId: caller.projectId, ttlMs: refresh.ttlMs });
        expiresAt = issuedAt + refresh.ttlMs;
        return token;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
  return {
    token: caller.token,
    projectId: caller.projectId,
    userId: caller.userId,
    ...(caller.expiresAt !== undefined ? { expiresAt: caller.expiresAt } : {}),
    freshToken,
  };
}
