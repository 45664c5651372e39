/** A server as Nova renders it, per microversion and per role (Tempest's response schemas are the reference). */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { AppEnv } from '../../api/env.ts';
import { isAdmin } from '../../api/policy.ts';
import type { Fleet, ServerPort, ServerVolumeAttachment } from '../../services.ts';
import { isoMicro, isoZ, resourceLinks } from '../links.ts';
import { atLeast } from '../microversion.ts';
import { statusOf } from './states.ts';
import type { ServerRow } from './store.ts';

/** Nova's hostId: sha224 of project id + host, "" when unplaced. */
export function hostIdOf(projectId: string, host: string | null): string {
  return host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';
}

/** `addresses`: ports grouped by network name. */
export function addressesOf(ports: ServerPort[], extended: boolean) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const p of ports) {
    const list = out[p.networkName] ?? [];
    out[p.networkName] = list;
    for (const ip of p.fixedIps) {
      list.push({
        version: ip.version,
        addr: ip.ipAddress,
        ...(extended ? { 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': p.macAddress } : {}),
      });
    }
  }
  return out;
}

/** Which rendering: `detail` (show/list detail), `basic` (update/rebuild responses before 2.75). */
export type ServerViewKind = 'detail' | 'basic';

function flavorOf(c: Context<AppEnv>, row: ServerRow) {
  if (!atLeast(c, 47)) return { id: row.flavor.id, links: [resourceLinks(c, 'flavors', row.flavor.id)[1]] };
  return {
    vcpus: row.flavor.vcpus,
    ram: row.flavor.ram,
    disk: row.flavor.disk,
    ephemeral: row.flavor.ephemeral,
    swap: row.flavor.swap,
    original_name: row.flavor.name,
    extra_specs: { ...row.flavor.extra_specs },
  };
}

function hostStatus(fleet: Fleet, row: ServerRow): string {
  if (!row.host) return '';
  const h = fleet.host(row.host);
  if (!h) return 'UNKNOWN';
  if (h.state === 'down') return 'DOWN';
  return h.enabled ? 'UP' : 'MAINTENANCE';
}

/** Renders one server. `show` adds the fields Nova only puts in show/update (2.71 server_groups). */
export function serverView(
  c: Context<AppEnv>,
  fleet: Fleet,
  row: ServerRow,
  ports: ServerPort[],
  opts: { kind: ServerViewKind; show: boolean; groups: string[]; volumes?: ServerVolumeAttachment[] },
): Record<string, unknown> {
  const admin = isAdmin(c.var.auth);
  const status = statusOf(row.vmState, row.taskState);
  const detail = opts.kind === 'detail' || atLeast(c, 75);
  const out: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    status,
    tenant_id: row.projectId,
    user_id: row.userId,
    metadata: { ...row.metadata },
    hostId: hostIdOf(row.projectId, row.host),
    image: row.imageId ? { id: row.imageId, links: [resourceLinks(c, 'images', row.imageId)[1]] } : '',
    flavor: flavorOf(c, row),
    created: isoZ(row.createdAt),
    updated: isoZ(row.updatedAt),
    addresses: addressesOf(ports, detail),
    accessIPv4: row.accessIpv4,
    accessIPv6: row.accessIpv6,
    links: resourceLinks(c, 'servers', row.id),
    'OS-DCF:diskConfig': row.diskConfig,
  };
  if (['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING'].includes(status)) {
    out.progress = status === 'ACTIVE' ? 100 : 0;
  }
  if (row.fault && (status === 'ERROR' || status === 'DELETED')) {
    out.fault = {
      code: row.fault.code,
      message: row.fault.message,
      created: isoZ(row.fault.created),
      // Nova shows the details (a traceback there) to admins, and for non-500 faults to everyone.
      ...(admin || row.fault.code !== 500 ? { details: row.fault.details } : {}),
    };
  }
  if (detail) {
    out.key_name = row.keyName;
    out.config_drive = row.configDrive ? 'True' : '';
    out['OS-EXT-AZ:availability_zone'] =
      row.availabilityZone ?? (row.host ? (fleet.host(row.host)?.availabilityZone ?? 'nova') : '');
    out['OS-EXT-STS:vm_state'] = row.vmState;
    out['OS-EXT-STS:task_state'] = row.taskState;
    out['OS-EXT-STS:power_state'] = row.powerState;
    out['OS-SRV-USG:launched_at'] = row.launchedAt === null ? null : isoMicro(row.launchedAt);
    out['OS-SRV-USG:terminated_at'] = row.terminatedAt === null ? null : isoMicro(row.terminatedAt);
    out['os-extended-volumes:volumes_attached'] = (opts.volumes ?? []).map((v) =>
      atLeast(c, 3) ? { id: v.volumeId, delete_on_termination: v.deleteOnTermination ?? false } : { id: v.volumeId },
    );
    if (row.securityGroups.length > 0) out.security_groups = row.securityGroups.map((name) => ({ name }));
    if (admin) {
      out['OS-EXT-SRV-ATTR:host'] = row.host;
      out['OS-EXT-SRV-ATTR:instance_name'] = `instance-${row.id.slice(0, 8)}`;
      out['OS-EXT-SRV-ATTR:hypervisor_hostname'] = row.host;
      if (atLeast(c, 3)) {
        out['OS-EXT-SRV-ATTR:reservation_id'] = row.reservationId;
        out['OS-EXT-SRV-ATTR:launch_index'] = row.launchIndex;
        out['OS-EXT-SRV-ATTR:kernel_id'] = '';
        out['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
        out['OS-EXT-SRV-ATTR:hostname'] = row.name
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .slice(0, 63);
        out['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
        out['OS-EXT-SRV-ATTR:user_data'] = row.userData;
      }
    }
    if (atLeast(c, 16) && admin) out.host_status = hostStatus(fleet, row);
  }
  if (atLeast(c, 9)) out.locked = row.locked;
  if (atLeast(c, 19)) out.description = row.description;
  if (atLeast(c, 26)) out.tags = [...row.tags];
  if (atLeast(c, 63)) out.trusted_image_certificates = null;
  if (atLeast(c, 71) && opts.show) out.server_groups = opts.groups;
  if (atLeast(c, 73)) out.locked_reason = row.lockedReason;
  return out;
}
