CREATE TABLE `allocations` (
	`consumer_id` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`vcpus` integer NOT NULL,
	`memory_mib` integer NOT NULL,
	`disk_gib` integer NOT NULL,
	`project_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`numeric_id` integer NOT NULL,
	`availability_zone` text NOT NULL,
	`inventory` text NOT NULL,
	`enabled` integer NOT NULL,
	`disabled_reason` text,
	`last_seen` integer NOT NULL,
	`boot_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_numeric_id_unique` ON `hosts` (`numeric_id`);