/** Replicated identity records (Keystone v3). Wire/catalog schema v1: fields are only ever added. */

export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  tags?: string[];
}

export interface Project {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  /** Keystone puts the domain id here for top-level projects. */
  parent_id: string | null;
  is_domain: boolean;
  tags: string[];
}

export interface User {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  /** scrypt hash in PHC-like form; never the password. Absent for users that cannot log in by password. */
  password_hash?: string;
  default_project_id?: string | null;
  description?: string;
  email?: string;
  /** Milliseconds since epoch. */
  password_changed_at?: number;
  extra?: Record<string, unknown>;
}

export interface Group {
  id: string;
  name: string;
  domain_id: string;
  description: string;
}

/** Id is `${group_id}:${user_id}`. */
export interface GroupMembership {
  id: string;
  group_id: string;
  user_id: string;
}

export interface Role {
  id: string;
  name: string;
  domain_id: string | null;
  description: string;
}

/** Id is `${actor_type}:${actor_id}:${target_type}:${target_id}:${role_id}` so a grant is idempotent everywhere. */
export interface RoleAssignment {
  id: string;
  actor_type: 'user' | 'group';
  actor_id: string;
  target_type: 'project' | 'domain' | 'system';
  target_id: string;
  role_id: string;
  inherited: boolean;
}

/** Id is `${prior_role_id}:${implied_role_id}`. */
export interface ImpliedRole {
  id: string;
  prior_role_id: string;
  implied_role_id: string;
}

export interface Service {
  id: string;
  type: string;
  name: string;
  description: string;
  enabled: boolean;
}

export interface Endpoint {
  id: string;
  service_id: string;
  interface: 'public' | 'internal' | 'admin';
  url: string;
  region_id: string;
  enabled: boolean;
}

export interface Region {
  id: string;
  description: string;
  parent_region_id: string | null;
}

/** A revocation event (Keystone's model): tokens matching every present field and issued before `issued_before` are refused. */
export interface Revocation {
  id: string;
  audit_id?: string;
  user_id?: string;
  project_id?: string;
  domain_id?: string;
  /** Milliseconds since epoch. */
  issued_before: number;
  revoked_at: number;
}

/** A site's public token-signing key (JWK), replicated so any site validates any site's tokens offline. */
export interface SigningKey {
  /** The JWK `kid`. */
  id: string;
  site_id: string;
  alg: 'EdDSA' | 'ES256';
  /** Public JWK as JSON. */
  jwk: Record<string, unknown>;
  created_at: number;
  /** After this, tokens signed by the key are refused. */
  retired_at?: number;
}

/**
 * A Keystone credential (/v3/credentials). `blob` is stored as given: Keystone encrypts it at rest with its
 * credential keys; here it replicates in clear within the federation (EC2 secrets included).
 * EC2 credentials have type 'ec2', a JSON blob {access, secret, trust_id} and id sha256(access) (hex).
 */
export interface Credential {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
}

/** A Keystone policy blob (/v3/policies): opaque to the cloud, stored for the clients that use it. */
export interface PolicyBlob {
  id: string;
  type: string;
  blob: string;
}

/** An OS-EP-FILTER endpoint group: endpoints matching every filter (interface, service_id, region_id). */
export interface EndpointGroup {
  id: string;
  name: string;
  description: string;
  filters: Record<string, string>;
}

/** An endpoint group associated with a project. Id is `${endpoint_group_id}:${project_id}`. */
export interface EndpointGroupProject {
  id: string;
  endpoint_group_id: string;
  project_id: string;
}

/** An OS-OAUTH1 consumer. Keystone keeps the secret in its database as given; so does the catalog. */
export interface OAuthConsumer {
  id: string;
  description: string;
  secret: string;
}

/**
 * A domain-specific configuration (/v3/domains/{id}/config). Id is the domain id. Only Keystone's whitelisted
 * groups/options (identity, ldap) are accepted; sensitive options (ldap.password) are kept apart and never shown.
 */
export interface DomainConfig {
  id: string;
  config: Record<string, Record<string, unknown>>;
  sensitive: Record<string, Record<string, unknown>>;
}
