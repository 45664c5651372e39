import { writeFileSync } from 'node:fs';
/**
 * Dumps compute responses across microversions for the Tempest schema check (not a unit test: needs Debian's tempest).
 * Run: `npx tsx edge-site/compute/testing/tempest-schema-dump.ts /tmp/out.json && \
 *       /usr/bin/python3 edge-site/compute/testing/tempest_schema_check.py /tmp/out.json`
 */
import { computeHarness, IMAGE_ID } from './harness.ts';

const h = await computeHarness();
const out: unknown[] = [];
const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHeKq3pQnOQt2bqHNDTMpyC1iEnn3c9KtxWFdbZtM4Gg t';
async function rec(schema: string, version: string, method: string, path: string, as?: string, body?: unknown) {
  const r = await h.req(method, path, { version, as: as ?? h.admin, body });
  out.push({ schema, version, method, path, status: r.status, body: r.json ?? null });
  return r;
}
const id = await h.boot('vm1', { key_name: undefined, metadata: { a: 'b' } });
await h.boot('vmerr');
h.fleet.failSpawn.add('host1');
h.fleet.failSpawn.add('host2');
const err = await h.boot('err');
h.fleet.failSpawn.clear();
void err;
const adm = (
  await h.req('POST', '/servers', {
    as: h.admin,
    body: { server: { name: 'adm', imageRef: IMAGE_ID, flavorRef: '1' } },
  })
).json.server.id;
await h.compute.settled();
for (const v of ['2.1', '2.3', '2.9', '2.16', '2.19', '2.26', '2.47', '2.57', '2.63', '2.71', '2.73', '2.75', '2.79']) {
  const mod = `v${v.replace('.', '_')}.servers`;
  await rec(`${mod}.get_server`, v, 'GET', `/servers/${adm}`);
  await rec(`${mod}.get_server`, v, 'GET', `/servers/${id}`, h.member);
  await rec(`${mod}.list_servers_detail`, v, 'GET', '/servers/detail?all_tenants=1');
  await rec(`${mod}.list_servers_detail`, v, 'GET', '/servers/detail', h.member);
  await rec(`${mod}.list_servers`, v, 'GET', '/servers?limit=1');
  await rec(`${mod}.update_server`, v, 'PUT', `/servers/${id}`, h.member, { server: { name: 'vm1' } });
}
await rec('v2_1.servers.create_server_with_admin_pass', '2.1', 'POST', '/servers', h.member, {
  server: { name: 'x', imageRef: IMAGE_ID, flavorRef: '1' },
});
await rec('v2_1.servers.list_instance_actions', '2.1', 'GET', `/servers/${id}/os-instance-actions`);
for (const v of ['2.1', '2.55', '2.61', '2.75']) {
  const m = v === '2.1' ? 'v2_1' : v === '2.75' ? 'v2_61' : `v${v.replace('.', '_')}`;
  await rec(`${m}.flavors.list_flavors`, v, 'GET', '/flavors');
  await rec(`${m}.flavors.list_flavors_details`, v, 'GET', '/flavors/detail?is_public=None');
  await rec(`${m}.flavors.create_update_get_flavor_details`, v, 'GET', '/flavors/1');
}
await rec('v2_1.flavors_extra_specs.set_get_flavor_extra_specs', '2.1', 'GET', '/flavors/1/os-extra_specs');
await rec('v2_1.keypairs.create_keypair', '2.1', 'POST', '/os-keypairs', h.member, {
  keypair: { name: 'k1', public_key: pub },
});
await rec('v2_2.keypairs.create_keypair', '2.2', 'POST', '/os-keypairs', h.member, { keypair: { name: 'k2' } });
await rec('v2_2.keypairs.get_keypair', '2.2', 'GET', '/os-keypairs/k1', h.member);
await rec('v2_1.keypairs.get_keypair', '2.1', 'GET', '/os-keypairs/k1', h.member);
await rec('v2_2.keypairs.list_keypairs', '2.2', 'GET', '/os-keypairs', h.member);
await rec('v2_1.versions.list_versions', '2.1', 'GET', '/../');
await rec('v2_1.limits.get_limit', '2.1', 'GET', '/limits', h.member);
await rec('v2_36.limits.get_limit', '2.36', 'GET', '/limits', h.member);
await rec('v2_57.limits.get_limit', '2.57', 'GET', '/limits', h.member);
await rec('v2_1.quotas.get_quota_set', '2.1', 'GET', '/os-quota-sets/p1');
await rec('v2_57.quotas.get_quota_set', '2.57', 'GET', '/os-quota-sets/p1');
await rec('v2_57.quotas.get_quota_set_details', '2.57', 'GET', '/os-quota-sets/p1/detail');
await rec('v2_1.quotas.update_quota_set', '2.1', 'PUT', '/os-quota-sets/p1', h.admin, { quota_set: { cores: 30 } });
await rec('v2_1.hypervisors.list_search_hypervisors', '2.1', 'GET', '/os-hypervisors');
await rec('v2_1.hypervisors.list_hypervisors_detail', '2.1', 'GET', '/os-hypervisors/detail');
await rec('v2_1.hypervisors.get_hypervisor', '2.1', 'GET', '/os-hypervisors/1');
await rec('v2_28.hypervisors.get_hypervisor', '2.28', 'GET', '/os-hypervisors/1');
await rec('v2_53.hypervisors.list_hypervisors_detail', '2.53', 'GET', '/os-hypervisors/detail?with_servers=true');
await rec('v2_1.hypervisors.get_hypervisor_statistics', '2.1', 'GET', '/os-hypervisors/statistics');
await rec('v2_1.hypervisors.get_hypervisor_uptime', '2.1', 'GET', '/os-hypervisors/1/uptime');
await rec('v2_1.hypervisors.get_hypervisors_servers', '2.1', 'GET', '/os-hypervisors/host/servers');
await rec('v2_1.services.list_services', '2.1', 'GET', '/os-services');
await rec('v2_11.services.list_services', '2.11', 'GET', '/os-services');
await rec('v2_53.services.list_services', '2.53', 'GET', '/os-services');
await rec('v2_1.services.disable_log_reason', '2.1', 'PUT', '/os-services/disable-log-reason', h.admin, {
  host: 'host2',
  binary: 'nova-compute',
  disabled_reason: 'x',
});
await rec('v2_1.services.enable_disable_service', '2.1', 'PUT', '/os-services/enable', h.admin, {
  host: 'host2',
  binary: 'nova-compute',
});
await rec('v2_1.availability_zone.list_availability_zone_list', '2.1', 'GET', '/os-availability-zone', h.member);
await rec('v2_1.availability_zone.list_availability_zone_list_detail', '2.1', 'GET', '/os-availability-zone/detail');
await rec('v2_1.server_groups.create_show_server_group', '2.1', 'POST', '/os-server-groups', h.member, {
  server_group: { name: 'g', policies: ['affinity'] },
});
await rec('v2_13.server_groups.list_server_groups', '2.13', 'GET', '/os-server-groups', h.member);
await rec('v2_64.server_groups.list_server_groups', '2.64', 'GET', '/os-server-groups', h.member);
await rec('v2_1.flavors.create_update_get_flavor_details', '2.1', 'POST', '/flavors', h.admin, {
  flavor: { name: 'p', ram: 1, vcpus: 1, disk: 1, id: 'pf', 'os-flavor-access:is_public': false },
});
await rec('v2_1.flavors_access.add_remove_list_flavor_access', '2.1', 'POST', '/flavors/pf/action', h.admin, {
  addTenantAccess: { tenant: 'p1' },
});
await rec('v2_1.tenant_usages.get_tenant_usage', '2.1', 'GET', '/os-simple-tenant-usage/p1?start=2025-01-01T00:00:00');
await rec(
  'v2_1.tenant_usages.list_tenant_usage',
  '2.1',
  'GET',
  '/os-simple-tenant-usage?detailed=1&start=2025-01-01T00:00:00',
);
await rec('v2_26.servers.list_tags', '2.26', 'PUT', `/servers/${id}/tags`, h.member, { tags: ['a'] });
await rec('v2_1.servers.list_addresses', '2.1', 'GET', `/servers/${id}/ips`, h.member);
writeFileSync(process.argv[2] ?? '/tmp/compute-responses.json', JSON.stringify(out));
process.exit(0);
