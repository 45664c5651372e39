/** Replicated compute records (flavors, keypairs). Catalog schema v1: fields are only ever added. */

export interface Flavor {
  /** Nova flavor ids are strings; clients use "1", "m1.tiny" or UUIDs. */
  id: string;
  name: string;
  vcpus: number;
  /** MiB. */
  ram: number;
  /** GiB. */
  disk: number;
  ephemeral: number;
  /** MiB; Nova shows "" for 0 before 2.75. */
  swap: number;
  rxtx_factor: number;
  is_public: boolean;
  disabled: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
  created_at: number;
}

/** Id is `${flavor_id}:${project_id}`. */
export interface FlavorAccess {
  id: string;
  flavor_id: string;
  project_id: string;
}

/** Public keys only. Id is `${user_id}:${name}`. */
export interface Keypair {
  id: string;
  name: string;
  user_id: string;
  public_key: string;
  fingerprint: string;
  type: 'ssh' | 'x509';
  created_at: number;
}
