/** Replicated image metadata (Glance v2). Bytes stay in each holding site's file store. Schema v1, additive. */

export interface Image {
  id: string;
  name: string | null;
  status:
    | 'queued'
    | 'saving'
    | 'uploading'
    | 'importing'
    | 'active'
    | 'killed'
    | 'deleted'
    | 'pending_delete'
    | 'deactivated';
  visibility: 'public' | 'private' | 'shared' | 'community';
  owner: string | null;
  protected: boolean;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  os_hidden: boolean;
  tags: string[];
  /** Additional (free-form) properties, as Glance puts them at the top level of the image. */
  properties: Record<string, string>;
  /** Sites that hold the bytes. */
  locations: string[];
  created_at: number;
  updated_at: number;
}

/** Id is `${image_id}:${member_id}`. */
export interface ImageMember {
  id: string;
  image_id: string;
  member_id: string;
  status: 'pending' | 'accepted' | 'rejected';
  created_at: number;
  updated_at: number;
}
