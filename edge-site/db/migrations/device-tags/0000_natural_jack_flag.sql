CREATE TABLE `device_tags` (
	`port_id` text PRIMARY KEY NOT NULL,
	`server_id` text NOT NULL,
	`tag` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `device_tags_server` ON `device_tags` (`server_id`);