CREATE TABLE `compute_aggregates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`name` text NOT NULL,
	`availability_zone` text,
	`hosts` text NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `compute_aggregates_uuid_unique` ON `compute_aggregates` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `compute_aggregates_name_unique` ON `compute_aggregates` (`name`);