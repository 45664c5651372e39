CREATE TABLE `orch_events` (
	`id` text PRIMARY KEY NOT NULL,
	`stack_id` text NOT NULL,
	`resource_name` text NOT NULL,
	`physical_id` text DEFAULT '' NOT NULL,
	`resource_type` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text DEFAULT '' NOT NULL,
	`time` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `orch_events_stack` ON `orch_events` (`stack_id`);--> statement-breakpoint
CREATE TABLE `orch_resources` (
	`id` text PRIMARY KEY NOT NULL,
	`stack_id` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`physical_id` text,
	`site` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text DEFAULT '' NOT NULL,
	`properties` text,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `orch_resources_stack` ON `orch_resources` (`stack_id`);--> statement-breakpoint
CREATE TABLE `orch_stacks` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text DEFAULT '' NOT NULL,
	`template` text NOT NULL,
	`parameters` text NOT NULL,
	`environment` text NOT NULL,
	`disable_rollback` integer DEFAULT true NOT NULL,
	`timeout_mins` integer,
	`tags` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `orch_stacks_project` ON `orch_stacks` (`project_id`,`name`);