CREATE TABLE `orch_software_configs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`group` text NOT NULL,
	`config` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `orch_software_configs_project` ON `orch_software_configs` (`project_id`);--> statement-breakpoint
CREATE TABLE `orch_software_deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`config_id` text NOT NULL,
	`server_id` text NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text DEFAULT '' NOT NULL,
	`input_values` text NOT NULL,
	`output_values` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `orch_software_deployments_server` ON `orch_software_deployments` (`server_id`);--> statement-breakpoint
ALTER TABLE `orch_stacks` ADD `files` text DEFAULT '{}' NOT NULL;