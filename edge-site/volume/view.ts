/** Cinder's JSON documents for volumes and snapshots. */
import type { AuthContext } from '../api/env.ts';
import { isAdmin } from '../api/policy.ts';
import { cinderHost } from './handles.ts';
import { type AttachmentRow, isoMicro, type SnapshotRow, type VolumeRow } from './model.ts';

/** `self` and `bookmark` links of a resource under `base` (the service URL without version). */
export function links(base: string, projectId: string, kind: string, id: string) {
  return [
    { rel: 'self', href: `${base}/v3/${projectId}/${kind}/${id}` },
    { rel: 'bookmark', href: `${base}/${projectId}/${kind}/${id}` },
  ];
}

/** A volume's `attachments` entries (Cinder shows the volume id as `id`). */
export function attachmentView(a: AttachmentRow) {
  return {
    id: a.volumeId,
    attachment_id: a.id,
    volume_id: a.volumeId,
    server_id: a.serverId,
    host_name: a.hostName,
    device: a.device,
    attached_at: a.attachedAt === null ? null : isoMicro(a.attachedAt),
  };
}

/** The summary form of lists. */
export function volumeSummary(base: string, v: VolumeRow) {
  return { id: v.id, name: v.name, links: links(base, v.projectId, 'volumes', v.id) };
}

/** The full volume (create/show/update/detail). `create` omits the show-only extended attributes. */
export function volumeView(
  base: string,
  v: VolumeRow,
  attachments: AttachmentRow[],
  auth: AuthContext,
  form: 'create' | 'show' = 'show',
) {
  const doc: Record<string, unknown> = {
    id: v.id,
    name: v.name,
    description: v.description,
    size: v.sizeGiB,
    status: v.status,
    availability_zone: v.availabilityZone,
    created_at: isoMicro(v.createdAt),
    updated_at: v.updatedAt === null ? null : isoMicro(v.updatedAt),
    attachments: attachments.filter((a) => a.status !== 'attaching').map(attachmentView),
    links: links(base, v.projectId, 'volumes', v.id),
    bootable: v.bootable ? 'true' : 'false',
    encrypted: false,
    multiattach: v.multiattach,
    metadata: { ...v.metadata },
    volume_type: v.volumeType,
    snapshot_id: v.snapshotId,
    source_volid: v.sourceVolid,
    consistencygroup_id: null,
    group_id: null,
    replication_status: null,
    migration_status: null,
    user_id: v.userId,
  };
  if (form === 'show') {
    doc['os-vol-tenant-attr:tenant_id'] = v.projectId;
    if (v.imageMetadata) doc.volume_image_metadata = { ...v.imageMetadata };
    if (isAdmin(auth)) {
      doc['os-vol-host-attr:host'] = cinderHost(v.path, 'site');
      doc['os-vol-mig-status-attr:migstat'] = null;
      doc['os-vol-mig-status-attr:name_id'] = null;
    }
  }
  return doc;
}

/** A snapshot; `detail` adds the extended attributes (show and /detail). */
export function snapshotView(s: SnapshotRow, detail: boolean) {
  const doc: Record<string, unknown> = {
    id: s.id,
    volume_id: s.volumeId,
    name: s.name,
    description: s.description,
    size: s.sizeGiB,
    status: s.status,
    metadata: { ...s.metadata },
    created_at: isoMicro(s.createdAt),
    updated_at: s.updatedAt === null ? null : isoMicro(s.updatedAt),
  };
  if (detail) {
    doc['os-extended-snapshot-attributes:progress'] = s.status === 'available' ? '100%' : '0%';
    doc['os-extended-snapshot-attributes:project_id'] = s.projectId;
  }
  return doc;
}
