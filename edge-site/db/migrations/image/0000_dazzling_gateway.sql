CREATE TABLE `image_files` (
	`image_id` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`size` integer NOT NULL,
	`checksum` text NOT NULL,
	`origin` text NOT NULL,
	`stored_at` integer NOT NULL,
	`last_used_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `image_uploads` (
	`image_id` text PRIMARY KEY NOT NULL,
	`temp_path` text NOT NULL,
	`started_at` integer NOT NULL
);
