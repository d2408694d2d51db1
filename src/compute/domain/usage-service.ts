import type { ComputeKysely } from '../store/compute-database.js';

export interface ServerUsage {
  instance_id: string;
  name: string;
  hours: number;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  tenant_id: string;
  flavor: string;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

export interface TenantUsage {
  tenant_id: string;
  start: string;
  stop: string;
  total_hours: number;
  total_local_gb_usage: number;
  total_memory_mb_usage: number;
  total_vcpus_usage: number;
  server_usages: ServerUsage[];
}

const HOUR = 3600_000;

/** The flavor name from an instance's flavor snapshot (JSON); '' when unreadable. */
function flavorNameOf(snapshot: string): string {
  try {
    return String((JSON.parse(snapshot) as { name?: string }).name ?? '');
  } catch {
    return '';
  }
}

/** os-simple-tenant-usage: server-hours per project over a period, from the instances table (deleted ones included). */
export class UsageService {
  constructor(private readonly db: ComputeKysely) {}

  async usage(start: Date, end: Date, projectId?: string): Promise<TenantUsage[]> {
    let q = this.db
      .selectFrom('instances')
      .select([
        'uuid',
        'display_name',
        'project_id',
        'vcpus',
        'memory_mb',
        'root_gb',
        'ephemeral_gb',
        'flavor',
        'vm_state',
        'created_at',
        'launched_at',
        'terminated_at',
        'deleted_at',
        'deleted',
      ])
      .where('created_at', '<', end.toISOString())
      .where((eb) => eb.or([eb('deleted', '=', 0), eb('deleted_at', '>', start.toISOString())]))
      .orderBy('created_at');
    if (projectId) q = q.where('project_id', '=', projectId);
    const rows = await q.execute();
    const byProject = new Map<string, TenantUsage>();
    const now = Date.now();
    for (const r of rows) {
      const started = Date.parse(r.launched_at ?? r.created_at);
      const endedText = r.terminated_at ?? r.deleted_at;
      const ended = endedText ? Date.parse(endedText) : undefined;
      const from = Math.max(started, start.getTime());
      const to = Math.min(ended ?? end.getTime(), end.getTime());
      const hours = Math.max(0, to - from) / HOUR;
      const flavorName = flavorNameOf(r.flavor);
      const localGb = r.root_gb + r.ephemeral_gb;
      const u: ServerUsage = {
        instance_id: r.uuid,
        name: r.display_name,
        hours,
        memory_mb: r.memory_mb,
        local_gb: localGb,
        vcpus: r.vcpus,
        tenant_id: r.project_id,
        flavor: flavorName,
        started_at: new Date(started).toISOString(),
        ended_at: ended !== undefined ? new Date(ended).toISOString() : null,
        state: r.deleted !== 0 ? 'terminated' : r.vm_state,
        uptime: Math.max(0, Math.floor(((ended ?? now) - started) / 1000)),
      };
      let t = byProject.get(r.project_id);
      if (!t) {
        t = {
          tenant_id: r.project_id,
          start: start.toISOString(),
          stop: end.toISOString(),
          total_hours: 0,
          total_local_gb_usage: 0,
          total_memory_mb_usage: 0,
          total_vcpus_usage: 0,
          server_usages: [],
        };
        byProject.set(r.project_id, t);
      }
      t.total_hours += hours;
      t.total_local_gb_usage += hours * localGb;
      t.total_memory_mb_usage += hours * r.memory_mb;
      t.total_vcpus_usage += hours * r.vcpus;
      t.server_usages.push(u);
    }
    return [...byProject.values()];
  }
}
