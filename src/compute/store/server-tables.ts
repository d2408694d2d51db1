/**
 * Server tables (owned by the servers/conductor part of compute). The columns
 * of `instances` listed under "shared" are a contract: quotas, limits and
 * hypervisor statistics read them too. Add columns freely; do not rename
 * those.
 */
export interface InstanceRow {
  // ---- shared (read by quota, limits, hypervisors, availability zones)
  /** Integer id; the hypervisor-side name is `instance-%08x` of it. */
  id: number;
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  /** Compute host (agent) the server runs on; null until scheduled. */
  host: string | null;
  /** Hypervisor node name (hypervisor_hostname); null until scheduled. */
  node: string | null;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  availability_zone: string | null;
  /** 0 = live; a deleted server keeps its row with deleted = 1 (listed with `deleted=true` by admins). */
  deleted: number;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;

  // ---- servers part
  /** API status derived from vm_state/task_state on every write (indexed list filter). */
  status: string;
  display_description: string | null;
  hostname: string;
  /** FlavorSpec JSON of the flavor the server runs (snapshot: flavors may be deleted). */
  flavor: string;
  flavor_id: string;
  /** Image id; '' for volume-backed servers. */
  image_ref: string;
  /** ImageSpec JSON snapshot of the image at boot/rebuild time. */
  image: string | null;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  config_drive: number;
  launch_index: number;
  reservation_id: string;
  locked: number;
  /** 'owner' or 'admin', as Nova's locked_by. */
  locked_by: string | null;
  locked_reason: string | null;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  auto_disk_config: number;
  /** JSON array of security group names. */
  security_groups: string;
  /** JSON: what the scheduler needs (hints, requested az, excluded hosts, attempts, old flavor on resize). */
  scheduling: string;
  /** JSON NetworkInfo[]: the server's ports, as the conductor allocated them (null before). */
  network_info: string | null;
  /** What the guest posted to the metadata service's password path (Nova keeps it in system metadata); null: none. */
  password: string | null;
  progress: number;
  launched_at: string | null;
  terminated_at: string | null;
}

export interface InstanceMetadataRow {
  instance_uuid: string;
  key: string;
  value: string;
}

export interface InstanceTagRow {
  instance_uuid: string;
  tag: string;
}

export interface InstanceFaultRow {
  id: string;
  instance_uuid: string;
  code: number;
  message: string;
  details: string | null;
  host: string | null;
  created_at: string;
}

export interface InstanceActionRow {
  id: string;
  instance_uuid: string;
  request_id: string;
  action: string;
  project_id: string;
  user_id: string;
  message: string | null;
  start_time: string;
  finish_time: string | null;
  updated_at: string;
}

export interface InstanceActionEventRow {
  id: string;
  action_id: string;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
}

export interface ServerTables {
  instances: InstanceRow;
  instance_metadata: InstanceMetadataRow;
  instance_tags: InstanceTagRow;
  instance_faults: InstanceFaultRow;
  instance_actions: InstanceActionRow;
  instance_action_events: InstanceActionEventRow;
}
