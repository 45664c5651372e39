/** `POST /servers`: validates the request as Nova does, checks quota, inserts the rows (BUILD) and starts builds. */
import { isIPv4, isIPv6 } from 'node:net';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { BrumeError, badRequest, forbidden, isBrumeError } from '../../../shared/errors.ts';
import { isUuidLike } from '../../../shared/ports/ids.ts';
import type { AuthContext } from '../../api/env.ts';
import { isAdmin, projectOf } from '../../api/policy.ts';
import { computeServerGroups } from '../../db/schema/compute.ts';
import type { NetworkRequest, SiteDeps } from '../../services.ts';
import { canUseFlavor } from '../flavors.ts';
import type { Quotas } from '../quotas.ts';
import type { ComputeServices } from '../services.ts';
import { bdmLegacy, bdmV2, parseBlockDevices } from './bdm.ts';
import { imageBlockDevicesOf } from './create-image.ts';
import type { ServerEngine } from './engine.ts';
import { POWER } from './states.ts';
import type { NewServerRow, ServerStore } from './store.ts';

const count = z.union([z.number().int().min(1), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.number().min(1));
const name = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => s.trim() === s && s.trim() !== '', 'Invalid input: leading/trailing whitespace is not allowed');

/** Nova's `accessIPv4`/`accessIPv6` formats (an empty string clears the address). */
export const accessIPv4 = z.string().refine((v) => v === '' || isIPv4(v), 'Invalid input: not a valid IPv4 address');
export const accessIPv6 = z
  .string()
  .refine((v) => v === '' || isIPv6(v), 'Invalid input: not a valid IPv6 address')
  .transform(canonicalIPv6);

/** An IPv6 address in RFC 5952 form (as Nova stores it: `0:0::BABE:220.12.22.2` -> `::babe:dc0c:1602`). */
export function canonicalIPv6(v: string): string {
  if (v === '') return v;
  const host = new URL(`http://[${v}]/`).hostname;
  return host.slice(1, -1);
}

/** The `server` object of a create request. Unknown keys are ignored (libcloud sends `personality`). */
export const createServerSchema = z.looseObject({
  server: z.looseObject({
    name,
    imageRef: z.string().max(2048).optional(),
    flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String),
    networks: z
      .union([
        z.enum(['auto', 'none']),
        z.array(
          z.object({
            uuid: z.string().optional(),
            port: z.string().optional(),
            fixed_ip: z.string().optional(),
            tag: z.string().optional(),
          }),
        ),
      ])
      .optional(),
    key_name: z.string().min(1).max(255).optional(),
    user_data: z.string().max(65535).optional(),
    metadata: z.record(z.string().min(1).max(255), z.string().max(255)).optional(),
    availability_zone: z.string().min(1).max(255).optional(),
    security_groups: z.array(z.object({ name: z.string().min(1).max(255) })).optional(),
    block_device_mapping_v2: z.array(bdmV2).optional(),
    block_device_mapping: z.array(bdmLegacy).optional(),
    config_drive: z.union([z.boolean(), z.string()]).optional(),
    min_count: count.optional(),
    max_count: count.optional(),
    return_reservation_id: z.union([z.boolean(), z.string()]).optional(),
    description: z.string().max(255).nullable().optional(),
    tags: z.array(z.string().min(1).max(60)).max(50).optional(),
    adminPass: z.string().optional(),
    'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
    accessIPv4: accessIPv4.optional(),
    accessIPv6: accessIPv6.optional(),
  }),
  'os:scheduler_hints': z.looseObject({ group: z.string().optional() }).optional(),
});

export type CreateServerBody = z.infer<typeof createServerSchema>;

/** What the API answers for a create. */
export interface CreateResult {
  ids: string[];
  adminPass: string;
  reservationId: string;
  securityGroups: string[];
  diskConfig: string;
}

const PASS_CHARS = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function truthy(v: boolean | string | undefined): boolean {
  return v === true || (typeof v === 'string' && ['true', '1', 'yes', 'on', 't', 'y'].includes(v.toLowerCase()));
}

/** Validates `imageRef` for booting (or rebuilding) with `flavor`: 400s as Nova answers them; returns the image id. */
export function resolveBootImage(
  services: ComputeServices,
  auth: AuthContext,
  imageRef: string,
  flavor: { ram: number; disk: number },
): string {
  const imageId = imageRef.split('/').pop() ?? '';
  if (imageId === '') throw badRequest('compute.image_required', 'Missing imageRef attribute');
  if (!isUuidLike(imageId)) throw badRequest('compute.invalid_image', 'Invalid imageRef provided.');
  let image: ReturnType<ComputeServices['image']['getForBoot']>;
  try {
    image = services.image.getForBoot(auth, imageId);
  } catch (err) {
    if (isBrumeError(err) && (err.kind === 'not_found' || err.kind === 'forbidden')) {
      throw badRequest('compute.image_not_found', `Image ${imageId} could not be found.`);
    }
    if (isBrumeError(err) && err.kind === 'conflict') {
      throw badRequest('compute.image_not_active', `Image ${imageId} is not active.`);
    }
    throw err;
  }
  if (image.min_ram > flavor.ram) {
    throw badRequest('compute.flavor_memory_too_small', "Flavor's memory is too small for requested image.");
  }
  if (flavor.disk > 0) {
    const size = image.virtual_size ?? image.size ?? 0;
    if (image.min_disk > flavor.disk || size > flavor.disk * 1024 ** 3) {
      throw badRequest(
        'compute.flavor_disk_too_small',
        `Flavor's disk is too small for requested image. Flavor disk is ${flavor.disk * 1024 ** 3} bytes, image is ${Math.max(size, image.min_disk * 1024 ** 3)} bytes.`,
      );
    }
  }

  return imageId;
}

/** Validates, checks quota, inserts and starts the builds. `minor` is the request's microversion minor. */
export async function createServers(
  ctx: { deps: SiteDeps; services: ComputeServices; store: ServerStore; engine: ServerEngine; quotas: Quotas },
  auth: AuthContext,
  body: CreateServerBody,
  minor: number,
  requestId: string,
  createLock: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<CreateResult> {
  const { deps, services } = ctx;
  const s = body.server;
  const projectId = projectOf(auth);

  // Flavor.
  const flavor = deps.catalog.get('flavors', s.flavorRef.split('/').pop() ?? '');
  if (!flavor || !canUseFlavor(deps.catalog, auth, flavor)) {
    throw badRequest('compute.flavor_not_found', `Flavor ${s.flavorRef} could not be found.`);
  }

  // Image (imageRef or a block device mapping with an image source), or a root volume (block device mappings).
  const devices = parseBlockDevices(s);
  // An image made by createImage of a volume-backed server boots as volumes from its snapshots (as in Nova).
  if (!devices.rootIsVolume && devices.imageRef !== '' && services.volume?.prepareBootVolumes) {
    const defined = imageBlockDevicesOf(services, auth, devices.imageRef);
    if (defined) {
      devices.volumes.push(...defined);
      devices.rootIsVolume = true;
      devices.imageRef = '';
    }
  }
  if (devices.volumes.length > 0 && !services.volume?.prepareBootVolumes) {
    throw badRequest('compute.invalid_bdm', 'Block Device Mapping is Invalid: this site has no block storage.');
  }
  for (const image of devices.volumeImages) resolveBootImage(services, auth, image, { ram: flavor.ram, disk: 0 });
  const imageId = devices.rootIsVolume ? null : resolveBootImage(services, auth, devices.imageRef, flavor);

  // Networks: required from 2.37; `auto` before.
  let networks: NetworkRequest;
  if (s.networks === undefined) {
    if (minor >= 37)
      throw badRequest(
        'api.invalid_body',
        "Invalid input for field/attribute server. 'networks' is a required property.",
      );
    networks = 'auto';
  } else if (typeof s.networks === 'string') {
    if (minor < 37)
      throw badRequest('api.invalid_body', `Invalid input for field/attribute networks. Value: ${s.networks}.`);
    networks = s.networks;
  } else {
    for (const n of s.networks) {
      if (!n.uuid && !n.port) throw badRequest('compute.invalid_network', 'Network or port must be specified.');
      if (n.uuid && !isUuidLike(n.uuid)) {
        throw badRequest(
          'compute.invalid_network',
          `Bad networks format: network uuid is not in proper format (${n.uuid})`,
        );
      }
      if (n.port && !isUuidLike(n.port)) throw badRequest('compute.invalid_network', `Invalid port ${n.port}.`);
    }
    networks = s.networks;
  }

  // Key pair.
  let keyData: string | null = null;
  if (s.key_name !== undefined) {
    const key = deps.catalog.get('keypairs', `${auth.userId}:${s.key_name}`);
    if (!key) throw badRequest('compute.keypair_not_found', 'Invalid key_name provided.');
    keyData = key.public_key;
  }

  // User data.
  if (s.user_data !== undefined) {
    const ud = s.user_data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(ud) || ud.length % 4 === 1) {
      throw badRequest('compute.invalid_user_data', 'User data needs to be valid base 64.');
    }
  }

  // Availability zone (`zone`, or `zone:host` for admins).
  let az: string | null = null;
  let forcedHost: string | null = null;
  if (s.availability_zone !== undefined) {
    const [zone = '', host] = s.availability_zone.split(':', 2);
    if (host) {
      if (!isAdmin(auth)) throw forbidden('policy.forbidden', 'Policy does not allow forcing a host.');
      if (!services.fleet.host(host))
        throw badRequest('compute.host_not_found', `Compute host ${host} could not be found.`);
      forcedHost = host;
    }
    if (zone !== '') {
      const zones = new Set(services.fleet.hosts().map((h) => h.availabilityZone));
      if (!zones.has(zone)) {
        throw badRequest('compute.invalid_az', `The requested availability zone is not available`);
      }
      az = zone;
    }
  }

  // Server group (scheduler hint).
  const groupId = body['os:scheduler_hints']?.group;
  if (groupId !== undefined) {
    const [g] = await deps.db.db.select().from(computeServerGroups).where(eq(computeServerGroups.id, groupId));
    if (!g || (g.projectId !== projectId && !isAdmin(auth))) {
      throw badRequest('compute.group_not_found', `Invalid server group ${groupId}.`);
    }
  }

  const limits = await ctx.quotas.limits(projectId);
  const metaCount = Object.keys(s.metadata ?? {}).length;
  if (limits.metadata_items >= 0 && metaCount > limits.metadata_items) {
    throw new BrumeError(
      'over_quota',
      'compute.quota_exceeded',
      'Quota exceeded for metadata_items: Requested ' +
        `${metaCount}, but already used 0 of ${limits.metadata_items} metadata_items`,
    );
  }
  const minCount = s.min_count ?? 1;
  const maxCount = s.max_count ?? minCount;
  if (minCount > maxCount) throw badRequest('compute.invalid_count', 'min_count must be <= max_count');

  const adminPass = s.adminPass ?? Array.from(deps.ids.bytes(12), (b) => PASS_CHARS[b % PASS_CHARS.length]).join('');
  const reservationId = `r-${deps.ids.uuid().replaceAll('-', '').slice(0, 8)}`;
  const securityGroups = (s.security_groups ?? [{ name: 'default' }]).map((g) => g.name);
  const diskConfig = s['OS-DCF:diskConfig'] ?? 'MANUAL';

  return createLock(async () => {
    // Fit as many as quota allows between min_count and max_count (Nova's behaviour).
    let n = maxCount;
    for (;;) {
      try {
        await ctx.quotas.check(projectId, { instances: n, cores: n * flavor.vcpus, ram: n * flavor.ram });
        break;
      } catch (err) {
        if (n <= minCount) throw err;
        n -= 1;
      }
    }
    const t = deps.clock.now();
    const rows: NewServerRow[] = [];
    for (let i = 0; i < n; i++) {
      rows.push({
        id: deps.ids.uuid(),
        projectId,
        userId: auth.userId,
        name: n > 1 ? `${s.name}-${i + 1}` : s.name,
        description: minor >= 19 ? (s.description ?? null) : null,
        vmState: 'building',
        taskState: 'scheduling',
        powerState: POWER.nostate,
        host: null,
        flavor: {
          id: flavor.id,
          name: flavor.name,
          vcpus: flavor.vcpus,
          ram: flavor.ram,
          disk: flavor.disk,
          ephemeral: flavor.ephemeral,
          swap: flavor.swap,
          extra_specs: { ...flavor.extra_specs },
        },
        imageId,
        keyName: s.key_name ?? null,
        keyData,
        userData: s.user_data ?? null,
        metadata: s.metadata ?? {},
        tags: minor >= 52 ? (s.tags ?? []) : [],
        availabilityZone: az,
        forcedHost,
        securityGroups,
        networks,
        configDrive: truthy(s.config_drive),
        diskConfig,
        reservationId,
        launchIndex: i,
        locked: false,
        lockedReason: null,
        accessIpv4: s.accessIPv4 ?? '',
        accessIpv6: s.accessIPv6 ?? '',
        fault: null,
        triedHosts: [],
        commandSeq: 0,
        pendingRequest: null,
        createdAt: t,
        updatedAt: t,
        launchedAt: null,
        terminatedAt: null,
        deletedAt: null,
      });
    }
    if (devices.volumes.length > 0) {
      if (rows.length > 1 && devices.volumes.some((v) => v.source === 'volume')) {
        throw badRequest('compute.invalid_bdm', 'Unable to launch multiple instances with a single configured volume.');
      }
      const prepared: string[] = [];
      try {
        for (const r of rows) {
          await services.volume?.prepareBootVolumes?.(auth, r.id, devices.volumes);
          prepared.push(r.id);
        }
      } catch (err) {
        for (const id of prepared) await services.volume?.releaseServer?.(id);
        throw err;
      }
    }
    await ctx.store.insert(rows);
    if (groupId !== undefined) {
      const [g] = await deps.db.db.select().from(computeServerGroups).where(eq(computeServerGroups.id, groupId));
      if (g) {
        await deps.db.db
          .update(computeServerGroups)
          .set({ members: [...g.members, ...rows.map((r) => r.id)] })
          .where(eq(computeServerGroups.id, groupId));
      }
    }
    for (const r of rows) {
      const row = await ctx.store.get(r.id);
      if (row) await ctx.engine.record(row, 'create', auth, requestId);
    }
    ctx.engine.startBuild(
      rows.map((r) => r.id),
      auth,
    );
    return { ids: rows.map((r) => r.id), adminPass, reservationId, securityGroups, diskConfig };
  });
}
