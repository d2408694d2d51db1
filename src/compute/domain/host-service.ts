import { hostname } from 'node:os';
import { conflict, notFound } from '../../lib/errors.js';
import { isUniqueViolation } from '../../lib/db/database.js';
import { newUuid } from '../../lib/ids.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import type { HeartbeatReply, HostReport } from '../../lib/rpc/compute-rpc.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { insertWithNextId } from '../store/next-id.js';
import type { ComputeNodeRow, ServiceRow } from '../store/resource-tables.js';
import type { ComputeHost, HostRegistry } from './resource-services.js';

/** A service row with what the API shows about it. */
export interface ServiceState {
  row: ServiceRow;
  up: boolean;
  /** 'internal' for control services, the host's availability zone for nova-compute. */
  zone: string;
}

/** A compute node with its service and the usage of the servers on it. */
export interface HypervisorState {
  node: ComputeNodeRow;
  service: ServiceRow;
  up: boolean;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  runningVms: number;
}

export interface ServiceUpdate {
  disabled?: boolean;
  disabledReason?: string | null;
  forcedDown?: boolean;
}

const CONTROL_BINARIES = ['nova-conductor', 'nova-scheduler'] as const;
const SERVICE_VERSION = 61; // Nova Zed's service version

/** Services (heartbeats of agents, plus this process's conductor/scheduler), compute nodes and availability zones. */
export class HostService implements HostRegistry {
  private readonly controlHost = hostname();

  constructor(
    private readonly db: ComputeKysely,
    private readonly config: ComputeConfig,
  ) {}

  private isUp(row: ServiceRow, now = Date.now()): boolean {
    if (row.forced_down === 1 || !row.last_seen_up) return false;
    return now - Date.parse(row.last_seen_up) <= this.config.serviceDownTime * 1000;
  }

  private async upsertService(host: string, binary: string, now: string): Promise<ServiceRow> {
    const existing = await this.db
      .selectFrom('compute_services')
      .selectAll()
      .where('host', '=', host)
      .where('binary', '=', binary)
      .executeTakeFirst();
    if (existing) {
      await this.db
        .updateTable('compute_services')
        .set({ last_seen_up: now, updated_at: now, report_count: existing.report_count + 1 })
        .where('id', '=', existing.id)
        .execute();
      return { ...existing, last_seen_up: now, updated_at: now, report_count: existing.report_count + 1 };
    }
    const row: Omit<ServiceRow, 'id'> = {
      uuid: newUuid(),
      host,
      binary,
      topic: binary.replace(/^nova-/, ''),
      disabled: 0,
      disabled_reason: null,
      forced_down: 0,
      last_seen_up: now,
      report_count: 1,
      version: SERVICE_VERSION,
      created_at: now,
      updated_at: null,
    };
    try {
      const id = await insertWithNextId<ServiceRow>(this.db, 'compute_services', row);
      return { ...row, id };
    } catch (e) {
      // Two heartbeats raced to create the row: the other one won.
      if (!isUniqueViolation(e)) throw e;
      return this.upsertService(host, binary, now);
    }
  }

  /** The compute process's own conductor and scheduler are up whenever it answers. */
  async touchControlServices(): Promise<void> {
    const now = dbTime();
    for (const b of CONTROL_BINARIES) await this.upsertService(this.controlHost, b, now);
  }

  async heartbeat(report: HostReport): Promise<HeartbeatReply> {
    const now = dbTime();
    const service = await this.upsertService(report.host, report.binary, now);
    const values = {
      service_id: service.id,
      host: report.host,
      hypervisor_type: report.hypervisorType,
      hypervisor_version: report.hypervisorVersion,
      vcpus: report.vcpus,
      memory_mb: report.memoryMb,
      local_gb: report.localGb,
      host_ip: report.hostIp,
      cpu_info: JSON.stringify(report.cpuInfo),
      provider_uuid: report.providerUuid,
      updated_at: now,
    };
    const node = await this.db.selectFrom('compute_nodes').select('id').where('hypervisor_hostname', '=', report.host).executeTakeFirst();
    if (node) {
      await this.db.updateTable('compute_nodes').set(values).where('id', '=', node.id).execute();
    } else {
      try {
        await insertWithNextId<ComputeNodeRow>(this.db, 'compute_nodes', {
          ...values,
          uuid: report.providerUuid,
          hypervisor_hostname: report.host,
          created_at: now,
        });
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
    }
    return { disabled: service.disabled === 1, forcedDown: service.forced_down === 1 };
  }

  /** Availability zone of each host that an aggregate puts in one. */
  async hostZones(): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('aggregate_hosts')
      .innerJoin('aggregate_metadata', 'aggregate_metadata.aggregate_id', 'aggregate_hosts.aggregate_id')
      .select(['aggregate_hosts.host', 'aggregate_metadata.value'])
      .where('aggregate_metadata.key', '=', 'availability_zone')
      .execute();
    return new Map(rows.map((r) => [r.host, r.value]));
  }

  async zoneOf(host: string): Promise<string> {
    return (await this.hostZones()).get(host) ?? this.config.defaultAvailabilityZone;
  }

  async services(filter: { host?: string; binary?: string } = {}): Promise<ServiceState[]> {
    await this.touchControlServices();
    let q = this.db.selectFrom('compute_services').selectAll().orderBy('id');
    if (filter.host !== undefined) q = q.where('host', '=', filter.host);
    if (filter.binary !== undefined) q = q.where('binary', '=', filter.binary);
    const rows = await q.execute();
    const zones = await this.hostZones();
    const now = Date.now();
    return rows.map((row) => ({
      row,
      up: this.isUp(row, now),
      zone: row.binary === 'nova-compute' ? (zones.get(row.host) ?? this.config.defaultAvailabilityZone) : 'internal',
    }));
  }

  async serviceById(id: string | number): Promise<ServiceState> {
    const all = await this.services();
    const s = all.find((x) => (typeof id === 'number' ? x.row.id === id : x.row.uuid === id));
    if (!s) throw notFound(`Service ${id} could not be found.`, 'service_not_found');
    return s;
  }

  async serviceByHostBinary(host: string, binary: string): Promise<ServiceState> {
    const s = (await this.services({ host, binary }))[0];
    if (!s) throw notFound(`Service ${binary} on host ${host} could not be found.`, 'service_not_found');
    return s;
  }

  async updateService(id: number, u: ServiceUpdate): Promise<ServiceState> {
    const set: Partial<ServiceRow> = { updated_at: dbTime() };
    if (u.disabled !== undefined) {
      set.disabled = u.disabled ? 1 : 0;
      set.disabled_reason = u.disabled ? (u.disabledReason ?? null) : null;
    }
    if (u.forcedDown !== undefined) set.forced_down = u.forcedDown ? 1 : 0;
    await this.db.updateTable('compute_services').set(set).where('id', '=', id).execute();
    return this.serviceById(id);
  }

  /** Deletes a service (and its compute node); a compute host still running servers is a 409 as in Nova. */
  async deleteService(id: string | number): Promise<void> {
    const s = await this.serviceById(id);
    if (s.row.binary === 'nova-compute') {
      const used = await this.db
        .selectFrom('instances')
        .select('uuid')
        .where('host', '=', s.row.host)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (used) throw conflict(`Unable to delete compute service that is hosting instances.`, 'service_in_use');
      await this.db.deleteFrom('compute_nodes').where('service_id', '=', s.row.id).execute();
    }
    await this.db.deleteFrom('compute_services').where('id', '=', s.row.id).execute();
  }

  async computeHosts(): Promise<ComputeHost[]> {
    const nodes = await this.db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
    const services = new Map(
      (await this.db.selectFrom('compute_services').selectAll().where('binary', '=', 'nova-compute').execute()).map((s) => [s.id, s]),
    );
    const zones = await this.hostZones();
    const now = Date.now();
    return nodes.flatMap((n) => {
      const s = services.get(n.service_id);
      if (!s) return [];
      return [
        {
          host: n.host,
          node: n.hypervisor_hostname,
          providerUuid: n.provider_uuid,
          availabilityZone: zones.get(n.host) ?? this.config.defaultAvailabilityZone,
          enabled: s.disabled === 0,
          up: this.isUp(s, now),
        },
      ];
    });
  }

  async hypervisors(): Promise<HypervisorState[]> {
    const nodes = await this.db.selectFrom('compute_nodes').selectAll().orderBy('id').execute();
    const services = new Map((await this.db.selectFrom('compute_services').selectAll().execute()).map((s) => [s.id, s]));
    const usage = await this.db
      .selectFrom('instances')
      .select((eb) => [
        'node',
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('vcpus').as('vcpus'),
        eb.fn.sum<number>('memory_mb').as('ram'),
        eb.fn.sum<number>(eb('root_gb', '+', eb.ref('ephemeral_gb'))).as('disk'),
      ])
      .where('deleted', '=', 0)
      .where('node', 'is not', null)
      .groupBy('node')
      .execute();
    const byNode = new Map(usage.map((u) => [u.node, u]));
    const now = Date.now();
    return nodes.flatMap((node) => {
      const service = services.get(node.service_id);
      if (!service) return [];
      const u = byNode.get(node.hypervisor_hostname);
      return [
        {
          node,
          service,
          up: this.isUp(service, now),
          vcpusUsed: Number(u?.vcpus ?? 0),
          memoryMbUsed: Number(u?.ram ?? 0),
          localGbUsed: Number(u?.disk ?? 0),
          runningVms: Number(u?.n ?? 0),
        },
      ];
    });
  }

  /** Live servers on a node, for `with_servers` and `/servers`. */
  async serversOn(node: string): Promise<{ uuid: string; name: string }[]> {
    const rows = await this.db
      .selectFrom('instances')
      .select(['uuid', 'display_name'])
      .where('node', '=', node)
      .where('deleted', '=', 0)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ uuid: r.uuid, name: r.display_name }));
  }
}
