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
}

export interface ServerTables {
  instances: InstanceRow;
}
