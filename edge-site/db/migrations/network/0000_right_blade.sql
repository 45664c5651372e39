CREATE TABLE `net_floating_ips` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`floating_network_id` text NOT NULL,
	`floating_ip_address` text NOT NULL,
	`floating_port_id` text NOT NULL,
	`port_id` text,
	`fixed_ip_address` text,
	`router_id` text
);
--> statement-breakpoint
CREATE TABLE `net_ip_allocations` (
	`subnet_id` text NOT NULL,
	`ip_address` text NOT NULL,
	`port_id` text NOT NULL,
	`network_id` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`subnet_id`, `ip_address`),
	FOREIGN KEY (`subnet_id`) REFERENCES `net_subnets`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`port_id`) REFERENCES `net_ports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `net_ip_allocations_port` ON `net_ip_allocations` (`port_id`);--> statement-breakpoint
CREATE TABLE `net_networks` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`admin_state_up` integer NOT NULL,
	`shared` integer NOT NULL,
	`external` integer NOT NULL,
	`mtu` integer NOT NULL,
	`port_security_enabled` integer NOT NULL,
	`az_hints` text NOT NULL,
	`network_type` text NOT NULL,
	`physical_network` text,
	`segmentation_id` integer
);
--> statement-breakpoint
CREATE TABLE `net_ports` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`network_id` text NOT NULL,
	`mac_address` text NOT NULL,
	`admin_state_up` integer NOT NULL,
	`status` text NOT NULL,
	`device_id` text NOT NULL,
	`device_owner` text NOT NULL,
	`host_id` text NOT NULL,
	`vnic_type` text NOT NULL,
	`profile` text NOT NULL,
	`port_security_enabled` integer NOT NULL,
	`security_groups` text NOT NULL,
	`allowed_address_pairs` text NOT NULL,
	`dns_name` text NOT NULL,
	`created_by_compute` integer NOT NULL,
	FOREIGN KEY (`network_id`) REFERENCES `net_networks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `net_ports_network` ON `net_ports` (`network_id`);--> statement-breakpoint
CREATE INDEX `net_ports_device` ON `net_ports` (`device_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `net_ports_mac` ON `net_ports` (`network_id`,`mac_address`);--> statement-breakpoint
CREATE TABLE `net_routers` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`admin_state_up` integer NOT NULL,
	`gateway_network_id` text,
	`enable_snat` integer NOT NULL,
	`routes` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `net_security_group_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`security_group_id` text NOT NULL,
	`direction` text NOT NULL,
	`ethertype` text NOT NULL,
	`protocol` text,
	`port_range_min` integer,
	`port_range_max` integer,
	`remote_ip_prefix` text,
	`remote_group_id` text,
	`description` text DEFAULT '' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`security_group_id`) REFERENCES `net_security_groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `net_security_group_rules_group` ON `net_security_group_rules` (`security_group_id`);--> statement-breakpoint
CREATE TABLE `net_security_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`is_default` integer NOT NULL,
	`stateful` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `net_security_groups_project` ON `net_security_groups` (`project_id`);--> statement-breakpoint
CREATE TABLE `net_subnets` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`revision` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`network_id` text NOT NULL,
	`ip_version` integer NOT NULL,
	`cidr` text NOT NULL,
	`gateway_ip` text,
	`allocation_pools` text NOT NULL,
	`enable_dhcp` integer NOT NULL,
	`dns_nameservers` text NOT NULL,
	`host_routes` text NOT NULL,
	`ipv6_ra_mode` text,
	`ipv6_address_mode` text,
	FOREIGN KEY (`network_id`) REFERENCES `net_networks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `net_subnets_network` ON `net_subnets` (`network_id`);