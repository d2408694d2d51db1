/**
 * Tables of flavors, key pairs, quotas, services/compute nodes, server groups
 * and aggregates (the resources part of compute). Booleans are 0/1 integers,
 * times ISO-8601 text.
 */
export interface FlavorRow {
  /** Internal integer id (Nova's flavors.id); the API shows `flavorid`. */
  id: number;
  flavorid: string;
  name: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: number;
  disabled: number;
  description: string | null;
  /** 0 = live; deleted flavors keep their row so old servers can show them. */
  deleted: number;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
}

export interface FlavorExtraSpecRow {
  flavor_id: number;
  key: string;
  value: string;
}

export interface FlavorProjectRow {
  flavor_id: number;
  project_id: string;
}

export interface KeyPairRow {
  id: number;
  user_id: string;
  name: string;
  type: string;
  public_key: string;
  fingerprint: string;
  created_at: string;
}

/** A project (user_id '') or per-user quota limit override. */
export interface QuotaRow {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaClassRow {
  class_name: string;
  resource: string;
  hard_limit: number;
}

export interface ServiceRow {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  last_seen_up: string | null;
  report_count: number;
  version: number;
  created_at: string;
  updated_at: string | null;
}

export interface ComputeNodeRow {
  id: number;
  uuid: string;
  service_id: number;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  host_ip: string;
  /** JSON object. */
  cpu_info: string;
  provider_uuid: string;
  created_at: string;
  updated_at: string | null;
}

export interface ServerGroupRow {
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  policy: string;
  /** JSON object. */
  rules: string;
  created_at: string;
}

export interface ServerGroupMemberRow {
  group_uuid: string;
  instance_uuid: string;
}

export interface AggregateRow {
  id: number;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateHostRow {
  aggregate_id: number;
  host: string;
}

export interface AggregateMetadataRow {
  aggregate_id: number;
  key: string;
  value: string;
}

export interface ResourceTables {
  flavors: FlavorRow;
  flavor_extra_specs: FlavorExtraSpecRow;
  flavor_projects: FlavorProjectRow;
  key_pairs: KeyPairRow;
  quotas: QuotaRow;
  quota_classes: QuotaClassRow;
  compute_services: ServiceRow;
  compute_nodes: ComputeNodeRow;
  server_groups: ServerGroupRow;
  server_group_members: ServerGroupMemberRow;
  aggregates: AggregateRow;
  aggregate_hosts: AggregateHostRow;
  aggregate_metadata: AggregateMetadataRow;
}
