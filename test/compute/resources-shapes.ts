import assert from 'node:assert/strict';

/**
 * Tempest's compute response schemas say `additionalProperties: false`: a
 * body must hold every required key and nothing outside required + optional.
 */
export function assertShape(obj: unknown, required: readonly string[], optional: readonly string[]): void {
  assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj), `not an object: ${JSON.stringify(obj)}`);
  const keys = Object.keys(obj);
  for (const k of required) assert.ok(keys.includes(k), `missing ${k} in ${JSON.stringify(obj)}`);
  const allowed = new Set([...required, ...optional]);
  for (const k of keys) assert.ok(allowed.has(k), `unexpected ${k} in ${JSON.stringify(obj)}`);
}

/** tempest v2_1/flavors.py common_flavor_info. */
export const FLAVOR_KEYS = [
  'name',
  'links',
  'ram',
  'vcpus',
  'swap',
  'disk',
  'id',
  'OS-FLV-DISABLED:disabled',
  'os-flavor-access:is_public',
  'rxtx_factor',
  'OS-FLV-EXT-DATA:ephemeral',
];

/** tempest v2_1/quotas.py update_quota_set (get adds id). */
export const QUOTA_KEYS = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  'server_group_members',
  'server_groups',
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
];

/** tempest v2_1/limits.py required absolute limits. */
export const LIMIT_KEYS = [
  'maxImageMeta',
  'maxPersonality',
  'maxPersonalitySize',
  'maxSecurityGroupRules',
  'maxSecurityGroups',
  'maxServerMeta',
  'maxTotalCores',
  'maxTotalFloatingIps',
  'maxTotalInstances',
  'maxTotalKeypairs',
  'maxTotalRAMSize',
  'totalCoresUsed',
  'totalFloatingIpsUsed',
  'totalInstancesUsed',
  'totalRAMUsed',
  'totalSecurityGroupsUsed',
];

/** tempest v2_1/hypervisors.py hypervisor_detail (status/state optional there, always sent by Nova). */
export const HYPERVISOR_DETAIL_KEYS = [
  'cpu_info',
  'current_workload',
  'disk_available_least',
  'host_ip',
  'free_disk_gb',
  'free_ram_mb',
  'hypervisor_hostname',
  'hypervisor_type',
  'hypervisor_version',
  'id',
  'local_gb',
  'local_gb_used',
  'memory_mb',
  'memory_mb_used',
  'running_vms',
  'service',
  'vcpus',
  'vcpus_used',
  'status',
  'state',
];

/** tempest v2_1/services.py list_services (2.11 adds forced_down). */
export const SERVICE_KEYS = ['id', 'zone', 'host', 'state', 'binary', 'status', 'updated_at', 'disabled_reason'];
