ALTER TABLE `vol_attachments` ADD `delete_on_termination` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `vol_attachments` ADD `boot_index` integer;