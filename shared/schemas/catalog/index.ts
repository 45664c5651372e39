/**
 * The replicated catalog: every collection a site must read while partitioned (DESIGN.md "Data ownership").
 * The map below is the contract between the APIs and whatever backs the catalog (SQLite today, Automerge later).
 */
import type { Flavor, FlavorAccess, Keypair } from './compute.ts';
import type { ConflictResolution, QuotaGrant, QuotaLimit, ResourceIndexEntry, Site } from './federation.ts';
import type {
  Credential,
  Domain,
  DomainConfig,
  Endpoint,
  EndpointGroup,
  EndpointGroupProject,
  Group,
  GroupMembership,
  ImpliedRole,
  OAuthConsumer,
  PolicyBlob,
  Project,
  Region,
  Revocation,
  Role,
  RoleAssignment,
  Service,
  SigningKey,
  User,
} from './identity.ts';
import type { Image, ImageMember } from './image.ts';

export type * from './compute.ts';
export type * from './federation.ts';
export type * from './identity.ts';
export type * from './image.ts';

/** Collection name -> record type. Every record has a string `id`. */
export interface CatalogCollections {
  domains: Domain;
  projects: Project;
  users: User;
  groups: Group;
  group_memberships: GroupMembership;
  roles: Role;
  role_assignments: RoleAssignment;
  implied_roles: ImpliedRole;
  services: Service;
  endpoints: Endpoint;
  regions: Region;
  revocations: Revocation;
  signing_keys: SigningKey;
  flavors: Flavor;
  flavor_access: FlavorAccess;
  keypairs: Keypair;
  images: Image;
  image_members: ImageMember;
  sites: Site;
  resource_index: ResourceIndexEntry;
  quota_limits: QuotaLimit;
  credentials: Credential;
  policies: PolicyBlob;
  endpoint_groups: EndpointGroup;
  endpoint_group_projects: EndpointGroupProject;
  oauth_consumers: OAuthConsumer;
  domain_configs: DomainConfig;
  quota_grants: QuotaGrant;
  conflict_resolutions: ConflictResolution;
}

export type CollectionName = keyof CatalogCollections;

/** Every collection name, in a stable order. */
export const COLLECTIONS = [
  'domains',
  'projects',
  'users',
  'groups',
  'group_memberships',
  'roles',
  'role_assignments',
  'implied_roles',
  'services',
  'endpoints',
  'regions',
  'revocations',
  'signing_keys',
  'flavors',
  'flavor_access',
  'keypairs',
  'images',
  'image_members',
  'sites',
  'resource_index',
  'quota_limits',
  'credentials',
  'policies',
  'endpoint_groups',
  'endpoint_group_projects',
  'oauth_consumers',
  'domain_configs',
  'quota_grants',
  'conflict_resolutions',
] as const satisfies readonly CollectionName[];
