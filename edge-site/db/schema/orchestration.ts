import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Heat's site-local objects: stacks, their resources and events. Templates, parameters and plugin state are JSON
 * columns (always read and written with their owner). Ids are UUIDv7, so ordering by id is creation order.
 */

/** Stacks of this site (deleted ones are kept with `deletedAt`, as Heat shows them by id). */
export const stacks = sqliteTable(
  'orch_stacks',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    projectId: text('project_id').notNull(),
    userId: text('user_id').notNull(),
    /** CREATE, UPDATE, DELETE, ROLLBACK, ABANDON. */
    action: text('action').notNull(),
    /** IN_PROGRESS, COMPLETE, FAILED. */
    status: text('status').notNull(),
    statusReason: text('status_reason').notNull().default(''),
    template: text('template', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Parameters as the user gave them (typed and defaulted again on every use). */
    parameters: text('parameters', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    environment: text('environment', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Files the client sent with the template (`get_file` targets), by name. */
    files: text('files', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    disableRollback: integer('disable_rollback', { mode: 'boolean' }).notNull().default(true),
    timeoutMins: integer('timeout_mins'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
    deletedAt: integer('deleted_at'),
  },
  (t) => [index('orch_stacks_project').on(t.projectId, t.name)],
);

/** Resources of stacks: the template name, the cloud object it made, where, and its state. */
export const stackResources = sqliteTable(
  'orch_resources',
  {
    id: text('id').primaryKey(),
    stackId: text('stack_id').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    physicalId: text('physical_id'),
    /** The site the resource lives at. */
    site: text('site').notNull(),
    action: text('action').notNull(),
    status: text('status').notNull(),
    statusReason: text('status_reason').notNull().default(''),
    /** Properties as last applied (resolved), to diff on update. */
    properties: text('properties', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Plugin-private state (e.g. a generated value, group members). */
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('orch_resources_stack').on(t.stackId)],
);

/** Stack and resource events, in order (UUIDv7 ids). */
export const stackEvents = sqliteTable(
  'orch_events',
  {
    id: text('id').primaryKey(),
    stackId: text('stack_id').notNull(),
    /** The resource's name, or the stack's name for stack events. */
    resourceName: text('resource_name').notNull(),
    physicalId: text('physical_id').notNull().default(''),
    resourceType: text('resource_type').notNull(),
    action: text('action').notNull(),
    status: text('status').notNull(),
    statusReason: text('status_reason').notNull().default(''),
    time: integer('time').notNull(),
  },
  (t) => [index('orch_events_stack').on(t.stackId)],
);

/** Heat software configs (immutable scripts and their inputs/outputs declarations). */
export const softwareConfigs = sqliteTable(
  'orch_software_configs',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    name: text('name').notNull(),
    group: text('group').notNull(),
    config: text('config').notNull(),
    /** inputs, outputs and options as given. */
    body: text('body', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('orch_software_configs_project').on(t.projectId)],
);

/** Heat software deployments (a config applied to a server, with the status the server reports). */
export const softwareDeployments = sqliteTable(
  'orch_software_deployments',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id').notNull(),
    configId: text('config_id').notNull(),
    serverId: text('server_id').notNull(),
    action: text('action').notNull(),
    status: text('status').notNull(),
    statusReason: text('status_reason').notNull().default(''),
    inputValues: text('input_values', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    outputValues: text('output_values', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at'),
  },
  (t) => [index('orch_software_deployments_server').on(t.serverId)],
);
