import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Servers owned by this site (Nova's `instances`). Soft-deleted: a deleted server keeps its row (`deleted_at` set) so
 * `changes-since` listings and reconciliation can still see it; every other read skips it.
 */
export const computeServers = sqliteTable('compute_servers', {
  id: text('id').primaryKey(),
  projectId: text('project_id').notNull(),
  userId: text('user_id').notNull(),
  name: text('name').notNull(),
  description: text('description'),
  /** Nova's vm_state: building, active, stopped, paused, suspended, error, deleted. */
  vmState: text('vm_state').notNull(),
  /** Nova's task_state (scheduling, networking, spawning, powering-off, …) or null when idle. */
  taskState: text('task_state'),
  /** Nova's numeric power state (0 nostate, 1 running, 3 paused, 4 shutdown, 6 crashed, 7 suspended). */
  powerState: integer('power_state').notNull(),
  host: text('host'),
  /** The flavor as it was at boot (Nova embeds a copy in the instance). */
  flavor: text('flavor', { mode: 'json' }).notNull().$type<ServerFlavor>(),
  imageId: text('image_id'),
  keyName: text('key_name'),
  keyData: text('key_data'),
  userData: text('user_data'),
  metadata: text('metadata', { mode: 'json' }).notNull().$type<Record<string, string>>(),
  tags: text('tags', { mode: 'json' }).notNull().$type<string[]>(),
  availabilityZone: text('availability_zone'),
  /** Admin-forced host from `availability_zone: "zone:host"`. */
  forcedHost: text('forced_host'),
  securityGroups: text('security_groups', { mode: 'json' }).notNull().$type<string[]>(),
  /** The `networks` request, replayed when a build is resumed or rescheduled. */
  networks: text('networks', { mode: 'json' }).notNull().$type<unknown>(),
  configDrive: integer('config_drive', { mode: 'boolean' }).notNull(),
  diskConfig: text('disk_config').notNull(),
  reservationId: text('reservation_id').notNull(),
  launchIndex: integer('launch_index').notNull(),
  locked: integer('locked', { mode: 'boolean' }).notNull(),
  lockedReason: text('locked_reason'),
  accessIpv4: text('access_ipv4').notNull(),
  accessIpv6: text('access_ipv6').notNull(),
  fault: text('fault', { mode: 'json' }).$type<ServerFault | null>(),
  /** Hosts a failed spawn already tried (reschedule). */
  triedHosts: text('tried_hosts', { mode: 'json' }).notNull().$type<string[]>(),
  /** Per-server command counter: request ids are `<id>:<op>:<seq>` so a resend after a restart reuses the id. */
  commandSeq: integer('command_seq').notNull(),
  /** The command in flight (resent on start-up), or null. */
  pendingRequest: text('pending_request'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
  launchedAt: integer('launched_at'),
  terminatedAt: integer('terminated_at'),
  deletedAt: integer('deleted_at'),
});

/** The flavor copy stored with a server. */
export interface ServerFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  swap: number;
  extra_specs: Record<string, string>;
}

/** Nova's instance fault. */
export interface ServerFault {
  code: number;
  message: string;
  details: string;
  created: number;
}

/** Per-project quota overrides (absent row: the default). */
export const computeQuotas = sqliteTable(
  'compute_quotas',
  {
    projectId: text('project_id').notNull(),
    resource: text('resource').notNull(),
    limit: integer('hard_limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.resource] })],
);

/** Nova's instance actions (os-instance-actions). */
export const computeInstanceActions = sqliteTable('compute_instance_actions', {
  /** `${server_id}:${request_id}` (one request may act on several servers: multi-create). */
  id: text('id').primaryKey(),
  requestId: text('request_id').notNull(),
  serverId: text('server_id').notNull(),
  action: text('action').notNull(),
  userId: text('user_id').notNull(),
  projectId: text('project_id').notNull(),
  startTime: integer('start_time').notNull(),
  finishTime: integer('finish_time'),
  result: text('result'),
  message: text('message'),
});

/** Server groups (os-server-groups). */
export const computeServerGroups = sqliteTable('compute_server_groups', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  policy: text('policy').notNull(),
  projectId: text('project_id').notNull(),
  userId: text('user_id').notNull(),
  members: text('members', { mode: 'json' }).notNull().$type<string[]>(),
  createdAt: integer('created_at').notNull(),
});

/** Host aggregates (os-aggregates): named host sets with metadata; `availability_zone` is shown, not scheduled on. */
export const computeAggregates = sqliteTable('compute_aggregates', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  uuid: text('uuid').notNull().unique(),
  name: text('name').notNull().unique(),
  availabilityZone: text('availability_zone'),
  hosts: text('hosts', { mode: 'json' }).notNull().$type<string[]>(),
  metadata: text('metadata', { mode: 'json' }).notNull().$type<Record<string, string>>(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at'),
});
