import type { Logger } from '../../shared/ports/logger.ts';

/** The OpenStack service a route belongs to; decides the error body shape. */
export type ServiceName = 'identity' | 'compute' | 'image' | 'network' | 'volume' | 'orchestration' | 'brume';

/** Who is calling, as established from a validated token. Built by identity; read by every service. */
export interface AuthContext {
  /** The raw token (forwarded to peers on cross-site calls). */
  token: string;
  userId: string;
  userName: string;
  userDomainId: string;
  userDomainName: string;
  /** Set for project-scoped tokens. */
  project?: { id: string; name: string; domainId: string; domainName: string };
  /** Set for domain-scoped tokens. */
  domain?: { id: string; name: string };
  /** True for system-scoped tokens (`system: {all: true}`). */
  system?: boolean;
  /** Effective role names (implied roles expanded: admin ⊃ member ⊃ reader). */
  roles: string[];
  roleIds: string[];
  methods: string[];
  /** Milliseconds since epoch. */
  issuedAt: number;
  expiresAt: number;
  auditIds: string[];
}

/** Hono environment shared by every sub-app of a site. */
export interface AppEnv {
  Variables: {
    requestId: string;
    service: ServiceName;
    log: Logger;
    /** Present after the auth middleware ran. */
    auth: AuthContext;
  };
}
