CREATE TABLE `net_quotas` (
	`project_id` text NOT NULL,
	`resource` text NOT NULL,
	`limit` integer NOT NULL,
	PRIMARY KEY(`project_id`, `resource`)
);
