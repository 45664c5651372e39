CREATE TABLE `compute_instance_actions` (
	`id` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`server_id` text NOT NULL,
	`action` text NOT NULL,
	`user_id` text NOT NULL,
	`project_id` text NOT NULL,
	`start_time` integer NOT NULL,
	`finish_time` integer,
	`result` text,
	`message` text
);
--> statement-breakpoint
CREATE TABLE `compute_quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `compute_server_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`policy` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`members` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `compute_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`vm_state` text NOT NULL,
	`task_state` text,
	`power_state` integer NOT NULL,
	`host` text,
	`flavor` text NOT NULL,
	`image_id` text,
	`key_name` text,
	`key_data` text,
	`user_data` text,
	`metadata` text NOT NULL,
	`tags` text NOT NULL,
	`availability_zone` text,
	`forced_host` text,
	`security_groups` text NOT NULL,
	`networks` text NOT NULL,
	`config_drive` integer NOT NULL,
	`disk_config` text NOT NULL,
	`reservation_id` text NOT NULL,
	`launch_index` integer NOT NULL,
	`locked` integer NOT NULL,
	`locked_reason` text,
	`access_ipv4` text NOT NULL,
	`access_ipv6` text NOT NULL,
	`fault` text,
	`tried_hosts` text NOT NULL,
	`command_seq` integer NOT NULL,
	`pending_request` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`launched_at` integer,
	`terminated_at` integer,
	`deleted_at` integer
);
