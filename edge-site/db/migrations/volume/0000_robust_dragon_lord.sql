CREATE TABLE `vol_attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`volume_id` text NOT NULL,
	`server_id` text,
	`host_name` text,
	`device` text,
	`status` text NOT NULL,
	`attached_at` integer
);
--> statement-breakpoint
CREATE INDEX `vol_attachments_volume` ON `vol_attachments` (`volume_id`);--> statement-breakpoint
CREATE INDEX `vol_attachments_server` ON `vol_attachments` (`server_id`);--> statement-breakpoint
CREATE TABLE `vol_quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`hard_limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
--> statement-breakpoint
CREATE TABLE `vol_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`volume_id` text NOT NULL,
	`name` text,
	`description` text,
	`size_gib` integer NOT NULL,
	`status` text NOT NULL,
	`metadata` text NOT NULL,
	`path` text,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `vol_snapshots_volume` ON `vol_snapshots` (`volume_id`);--> statement-breakpoint
CREATE TABLE `vol_volumes` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`name` text,
	`description` text,
	`size_gib` integer NOT NULL,
	`status` text NOT NULL,
	`attach_status` text DEFAULT 'detached' NOT NULL,
	`availability_zone` text NOT NULL,
	`volume_type` text NOT NULL,
	`bootable` integer DEFAULT false NOT NULL,
	`readonly` integer DEFAULT false NOT NULL,
	`multiattach` integer DEFAULT false NOT NULL,
	`metadata` text NOT NULL,
	`image_metadata` text,
	`snapshot_id` text,
	`source_volid` text,
	`path` text,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE INDEX `vol_volumes_project` ON `vol_volumes` (`project_id`);