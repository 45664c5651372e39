/** Flavors, their extra specs and access lists, over the replicated catalog (`flavors`, `flavor_access`). */
import { badRequest, conflict, notFound } from '../../shared/errors.ts';
import type { CatalogStore } from '../../shared/ports/catalog-store.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { IdSource } from '../../shared/ports/ids.ts';
import type { Flavor } from '../../shared/schemas/catalog/index.ts';
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';

/** True when the caller may see `flavor` (public, admin, or listed in its access list). */
export function canUseFlavor(catalog: CatalogStore, auth: AuthContext, flavor: Flavor): boolean {
  if (flavor.is_public || isAdmin(auth)) return true;
  const project = auth.project?.id;
  return project !== undefined && catalog.get('flavor_access', `${flavor.id}:${project}`) !== undefined;
}

/** The flavor `id` if visible to the caller; 404 otherwise. */
export function getFlavor(catalog: CatalogStore, auth: AuthContext, id: string): Flavor {
  const f = catalog.get('flavors', id);
  if (!f || !canUseFlavor(catalog, auth, f))
    throw notFound('compute.flavor_not_found', `Flavor ${id} could not be found.`);
  return f;
}

/** Nova's `is_public` query parameter: absent → true, `none` → all, else a strict boolean. */
export function parseIsPublic(raw: string | undefined): boolean | null {
  if (raw === undefined) return true;
  const v = raw.trim().toLowerCase();
  if (v === 'none') return null;
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  throw badRequest('compute.invalid_filter', `Invalid is_public filter [${raw}]`);
}

/** Filters of a flavor listing. */
export interface FlavorFilters {
  isPublic?: string;
  minRam?: string;
  minDisk?: string;
  sortKey?: string;
  sortDir?: string;
}

function nonNegativeInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) throw badRequest('compute.invalid_filter', `Invalid ${name} filter [${raw}]`);
  return Number(raw);
}

const SORT_KEYS = new Set(['created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public']);
const SORT_FIELD: Record<string, keyof Flavor> = {
  created_at: 'created_at',
  description: 'description',
  disabled: 'disabled',
  ephemeral_gb: 'ephemeral',
  flavorid: 'id',
  id: 'created_at',
  is_public: 'is_public',
  memory_mb: 'ram',
  name: 'name',
  root_gb: 'disk',
  rxtx_factor: 'rxtx_factor',
  swap: 'swap',
  vcpus: 'vcpus',
};
for (const k of Object.keys(SORT_FIELD)) SORT_KEYS.add(k);

/** Flavors visible to the caller with Nova's filter semantics, sorted (default by flavor id ascending). */
export function listFlavors(catalog: CatalogStore, auth: AuthContext, filters: FlavorFilters): Flavor[] {
  const admin = isAdmin(auth);
  // Only admins may choose; everyone else sees public flavors plus those shared with their project.
  const isPublic = admin ? parseIsPublic(filters.isPublic) : true;
  const minRam = nonNegativeInt('minRam', filters.minRam);
  const minDisk = nonNegativeInt('minDisk', filters.minDisk);
  const sortKey = filters.sortKey ?? 'flavorid';
  if (!SORT_KEYS.has(sortKey)) throw badRequest('compute.invalid_sort', `Invalid sort_key ${sortKey}`);
  const dir = filters.sortDir ?? 'asc';
  if (dir !== 'asc' && dir !== 'desc') throw badRequest('compute.invalid_sort', `Invalid sort_dir ${dir}`);
  const field = SORT_FIELD[sortKey] ?? 'id';
  const out = catalog.list('flavors').filter((f) => {
    if (!admin && f.disabled) return false;
    if (isPublic !== null) {
      const visible = admin ? f.is_public === isPublic : f.is_public || canUseFlavor(catalog, auth, f);
      if (!visible) return false;
    }
    if (minRam !== undefined && f.ram < minRam) return false;
    if (minDisk !== undefined && f.disk < minDisk) return false;
    return true;
  });
  out.sort((a, b) => {
    const x = a[field] ?? '';
    const y = b[field] ?? '';
    const c = x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    return dir === 'asc' ? c : -c;
  });
  return out;
}

/** Input of {@link createFlavor} (already validated for types). */
export interface NewFlavor {
  id?: string | null;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral?: number;
  swap?: number;
  rxtx_factor?: number;
  is_public?: boolean;
  description?: string | null;
}

/** Creates a flavor; 409 when the name or id is taken. */
export async function createFlavor(
  deps: { catalog: CatalogStore; clock: Clock; ids: IdSource },
  input: NewFlavor,
): Promise<Flavor> {
  const id = input.id ?? deps.ids.uuid();
  const all = deps.catalog.list('flavors');
  if (all.some((f) => f.name === input.name)) {
    throw conflict('compute.flavor_exists', `Flavor with name ${input.name} already exists.`);
  }
  if (deps.catalog.get('flavors', id)) throw conflict('compute.flavor_exists', `Flavor with ID ${id} already exists.`);
  const flavor: Flavor = {
    id,
    name: input.name,
    vcpus: input.vcpus,
    ram: input.ram,
    disk: input.disk,
    ephemeral: input.ephemeral ?? 0,
    swap: input.swap ?? 0,
    rxtx_factor: input.rxtx_factor ?? 1,
    is_public: input.is_public ?? true,
    disabled: false,
    description: input.description ?? null,
    extra_specs: {},
    created_at: deps.clock.now(),
  };
  await deps.catalog.put('flavors', flavor);
  return flavor;
}

/** Deletes a flavor and its access entries (servers keep their embedded copy). */
export async function deleteFlavor(catalog: CatalogStore, id: string): Promise<void> {
  if (!catalog.get('flavors', id)) throw notFound('compute.flavor_not_found', `Flavor ${id} could not be found.`);
  const access = catalog.list('flavor_access').filter((a) => a.flavor_id === id);
  await catalog.apply([
    { op: 'delete', collection: 'flavors', id },
    ...access.map((a) => ({ op: 'delete' as const, collection: 'flavor_access' as const, id: a.id })),
  ]);
}

/** Replaces a flavor's extra specs with `specs`. */
export async function putExtraSpecs(catalog: CatalogStore, flavor: Flavor, specs: Record<string, string>) {
  const next: Flavor = { ...flavor, extra_specs: specs };
  await catalog.put('flavors', next);
  return next;
}

/** Grants `project` access to a private flavor; 409 for a public flavor or an existing grant. */
export async function addAccess(catalog: CatalogStore, flavor: Flavor, project: string): Promise<void> {
  if (flavor.is_public) throw conflict('compute.flavor_public', 'Can not add access to a public flavor.');
  const id = `${flavor.id}:${project}`;
  if (catalog.get('flavor_access', id)) {
    throw conflict(
      'compute.flavor_access_exists',
      `Flavor access already exists for flavor ${flavor.id} and project ${project} combination.`,
    );
  }
  await catalog.put('flavor_access', { id, flavor_id: flavor.id, project_id: project });
}

/** Revokes a grant; 404 when there is none. */
export async function removeAccess(catalog: CatalogStore, flavor: Flavor, project: string): Promise<void> {
  const removed = await catalog.delete('flavor_access', `${flavor.id}:${project}`);
  if (!removed) {
    throw notFound(
      'compute.flavor_access_not_found',
      `Flavor access not found for ${flavor.id} / ${project} combination.`,
    );
  }
}

/** The access list of a private flavor; 404 for a public one (as Nova). */
export function accessList(catalog: CatalogStore, flavor: Flavor) {
  if (flavor.is_public) throw notFound('compute.flavor_public', 'Access list not available for public flavors.');
  return catalog
    .list('flavor_access')
    .filter((a) => a.flavor_id === flavor.id)
    .map((a) => ({ flavor_id: flavor.id, tenant_id: a.project_id }));
}

const CLASSIC: Array<[string, string, number, number, number]> = [
  ['1', 'm1.tiny', 1, 512, 1],
  ['2', 'm1.small', 1, 2048, 20],
  ['3', 'm1.medium', 2, 4096, 40],
  ['4', 'm1.large', 4, 8192, 80],
  ['5', 'm1.xlarge', 8, 16384, 160],
];

/**
 * Creates Nova's classic m1.* flavors (ids "1".."5") when the catalog has no flavor at all. The records are the same
 * byte for byte at every site (fixed `created_at`), so sites of a federation that seed them at the same time merge
 * without a conflict in the ledger.
 */
export async function seedDefaultFlavors(catalog: CatalogStore, _clock?: Clock): Promise<void> {
  if (catalog.list('flavors').length > 0) return;
  const now = 0;
  await catalog.apply(
    CLASSIC.map(([id, name, vcpus, ram, disk]) => ({
      op: 'put' as const,
      collection: 'flavors' as const,
      record: {
        id,
        name,
        vcpus,
        ram,
        disk,
        ephemeral: 0,
        swap: 0,
        rxtx_factor: 1,
        is_public: true,
        disabled: false,
        description: null,
        extra_specs: {},
        created_at: now,
      },
    })),
  );
}
