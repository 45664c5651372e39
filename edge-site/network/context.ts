import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import type { SiteDeps } from '../services.ts';
import { policyDenied } from './errors.ts';

/** Runs async sections one at a time, in call order. Not re-entrant: lock at entry points only. */
export interface Mutex {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** A FIFO mutex over a promise chain. */
export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(fn) {
      const result = tail.then(fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

/** What the network domain functions share. */
export interface NetCtx {
  deps: SiteDeps;
  db: LibSQLDatabase;
  /**
   * Serializes every write of the module (IP and MAC allocation, default security groups). The site is one process,
   * so this plus the allocation table's primary key is what keeps two ports from getting the same address.
   */
  lock: Mutex;
}

/** Builds the context of a module instance. */
export function createNetCtx(deps: SiteDeps): NetCtx {
  return { deps, db: deps.db.db, lock: createMutex() };
}

/** Neutron's timestamp format: ISO 8601, seconds precision, `Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The project a new resource belongs to: the body's project_id/tenant_id (admin only when foreign) or the caller's. */
export function owningProject(auth: AuthContext, body: { project_id?: string; tenant_id?: string }): string {
  const requested = body.project_id ?? body.tenant_id;
  if (body.project_id !== undefined && body.tenant_id !== undefined && body.project_id !== body.tenant_id) {
    throw policyDenied('project_id and tenant_id do not match');
  }
  const own = auth.project?.id;
  if (requested === undefined) {
    if (!own) throw policyDenied('a project-scoped token is required');
    return own;
  }
  if (requested !== own && !isAdmin(auth)) throw policyDenied('creating a resource for another project');
  return requested;
}

/** True when the caller owns `projectId` or is an admin. */
export function owns(auth: AuthContext, projectId: string): boolean {
  return isAdmin(auth) || auth.project?.id === projectId;
}
