import { networkInfoOf, type ServerNetworks } from './server-network.js';
import { randomBytes } from 'node:crypto';
import type { Bus } from '../../lib/bus/bus.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import { KumoError, badRequest, conflict, forbidden, isKumoError, notFound } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import type { Logger } from '../../lib/log.js';
import { COMPUTE_TOPIC, CONDUCTOR_TOPIC, PowerState, type BuildInstancesRequest, type FlavorSpec } from '../../lib/rpc/compute-rpc.js';
import { dbTime } from '../../lib/time.js';
import type { NewInstance, ServerStore } from '../store/server-store.js';
import type { InstanceFaultRow, InstanceRow } from '../store/server-tables.js';
import type { ComputeCaller } from './caller.js';
import { instanceSpecOf, sanitizeHostname, type SchedulingInfo } from './instance-spec.js';
import { statusOf } from './instance-states.js';
import type { Flavor, ResourceServices } from './resource-services.js';
import type { Scheduler } from './scheduler.js';
import { imageSpecOf, type GlanceImage, type ServerImageClient } from './server-image-client.js';
import { canonicalIPv6 } from './ip-address.js';

/** A server with what its views show, loaded in batches for lists. */
export interface ServerRecord {
  row: InstanceRow;
  metadata: Record<string, string>;
  tags: string[];
  fault: InstanceFaultRow | undefined;
}

export interface BlockDeviceMappingV2 {
  source_type?: string;
  destination_type?: string;
  uuid?: string;
  boot_index?: number | string | null;
  volume_size?: number;
  delete_on_termination?: boolean;
}

/** A validated create request (field names as Nova's schema). */
export interface CreateServerInput {
  name: string;
  imageRef?: string;
  flavorRef: string;
  key_name?: string;
  user_data?: string;
  metadata?: Record<string, string>;
  availability_zone?: string;
  config_drive?: boolean | string;
  min_count: number;
  max_count: number;
  return_reservation_id?: boolean;
  security_groups?: { name: string }[];
  networks?: 'none' | 'auto' | { uuid?: string; port?: string; fixed_ip?: string; tag?: string }[];
  block_device_mapping_v2?: BlockDeviceMappingV2[];
  accessIPv4?: string;
  accessIPv6?: string;
  diskConfig?: 'AUTO' | 'MANUAL';
  description?: string | null;
  hostname?: string;
  /** 2.74: admin-requested host and node. */
  host?: string;
  hypervisor_hostname?: string;
  adminPass?: string;
  tags?: string[];
  hints: Record<string, unknown>;
}

export interface CreateServerResult {
  servers: InstanceRow[];
  adminPass: string;
  reservationId: string;
}

export interface ServerServiceDeps {
  config: ComputeConfig;
  store: ServerStore;
  resources: ResourceServices;
  images: ServerImageClient;
  scheduler: Scheduler;
  networks: ServerNetworks;
  bus: Bus;
  log: Logger;
}

/** Nova's generate_password: 12 characters without look-alikes. */
export function generatePassword(length = 12): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** Flavor in the form stored on a server and sent to agents. */
export const flavorSpecOf = (f: Flavor): FlavorSpec => ({
  flavorId: f.id,
  name: f.name,
  vcpus: f.vcpus,
  memoryMb: f.memoryMb,
  rootGb: f.rootGb,
  ephemeralGb: f.ephemeralGb,
  swapMb: f.swapMb,
  extraSpecs: f.extraSpecs,
});

/** The id at the end of a flavor/image reference that may be a URL. */
export const refId = (ref: string): string => ref.replace(/\/+$/, '').split('/').pop() ?? ref;

/** Servers: create, read, update, delete, metadata, tags, instance actions. */
export class ServerService {
  constructor(readonly deps: ServerServiceDeps) {}

  get store(): ServerStore {
    return this.deps.store;
  }

  /** A server the caller can see (own project, or any for admins); 404 otherwise. */
  async getRow(caller: ComputeCaller, id: string, withDeleted = false): Promise<InstanceRow> {
    const row = await this.store.get(id, withDeleted);
    if (!row || (!caller.isAdmin && row.project_id !== caller.projectId)) {
      throw notFound(`Instance ${id} could not be found.`, 'instance_not_found');
    }
    return row;
  }

  async records(rows: InstanceRow[]): Promise<ServerRecord[]> {
    const uuids = rows.map((r) => r.uuid);
    const [meta, tags, faults] = await Promise.all([
      this.store.metadataOf(uuids),
      this.store.tagsOf(uuids),
      this.store.latestFaults(rows.filter((r) => r.vm_state === 'error' || r.deleted === 1).map((r) => r.uuid)),
    ]);
    return rows.map((row) => ({ row, metadata: meta.get(row.uuid) ?? {}, tags: tags.get(row.uuid) ?? [], fault: faults.get(row.uuid) }));
  }

  async get(caller: ComputeCaller, id: string): Promise<ServerRecord> {
    const row = await this.getRow(caller, id);
    return (await this.records([row]))[0]!;
  }

  // ------------------------------------------------------------ create

  async create(caller: ComputeCaller, input: CreateServerInput): Promise<CreateServerResult> {
    const { resources } = this.deps;
    const projectId = caller.projectId;
    if (!projectId) throw forbidden('Servers need a project-scoped token.');
    if (input.min_count > input.max_count) throw badRequest('min_count must be <= max_count');

    const flavor = await resources.flavors.getForCaller(caller, refId(input.flavorRef)).catch((e: unknown) => {
      if (isKumoError(e) && e.status === 404) throw badRequest(`Flavor ${refId(input.flavorRef)} could not be found.`, 'flavor_not_found');
      throw e;
    });
    if (flavor.disabled) throw badRequest(`Flavor ${flavor.id} could not be found.`, 'flavor_not_found');

    const image = await this.#bootImage(caller, input);
    if (image) {
      if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`, 'image_not_active');
      if (flavor.memoryMb < (image.min_ram ?? 0))
        throw badRequest("Flavor's memory is too small for requested image.", 'flavor_memory_too_small');
      if (flavor.rootGb > 0 && flavor.rootGb < (image.min_disk ?? 0))
        throw badRequest("Flavor's disk is too small for requested image.", 'flavor_disk_too_small');
      if (flavor.rootGb > 0 && image.size && image.size > flavor.rootGb * 1024 ** 3)
        throw badRequest("Flavor's disk is too small for requested image.", 'flavor_disk_too_small');
    }

    let keyData: string | null = null;
    if (input.key_name !== undefined) {
      const kp = await resources.keypairs.get(caller.userId, input.key_name).catch((e: unknown) => {
        if (isKumoError(e) && e.status === 404) throw badRequest('Invalid key_name provided.', 'keypair_not_found');
        throw e;
      });
      keyData = kp.publicKey;
    }

    const nics = await this.deps.networks.resolve(projectId, input.networks);
    await this.deps.networks.checkGroups(
      projectId,
      (input.security_groups ?? []).map((g) => g.name),
    );
    if (input.user_data !== undefined) checkUserData(input.user_data);
    await this.checkMetadataLimit(projectId, Object.keys(input.metadata ?? {}).length);
    const { zone: requestedAz, forcedHost } = await this.#checkZone(caller, input);

    const groupId = typeof input.hints.group === 'string' ? input.hints.group : undefined;
    if (groupId !== undefined) {
      await resources.serverGroups.get(caller, groupId).catch((e: unknown) => {
        if (isKumoError(e) && e.status === 404) throw badRequest(`Instance group ${groupId} could not be found.`, 'group_not_found');
        throw e;
      });
    }

    // Quota: as many as fit between min_count and max_count (Nova tries max, then min).
    let count = input.max_count;
    const deltas = (n: number) => ({ instances: n, cores: n * flavor.vcpus, ram: n * flavor.memoryMb });
    try {
      await resources.quotas.checkServers(projectId, caller.userId, deltas(count));
    } catch (e) {
      if (input.min_count === input.max_count) throw e;
      count = input.min_count;
      await resources.quotas.checkServers(projectId, caller.userId, deltas(count));
    }

    const now = dbTime();
    const reservationId = `r-${randomBytes(6).toString('hex').slice(0, 8)}`;
    const spec = flavorSpecOf(flavor);
    const scheduling: SchedulingInfo = {
      hints: input.hints,
      requestedAz,
      forcedHost,
      excludedHosts: [],
      attempts: 0,
      requestId: caller.requestId,
      nics,
    };
    const rows: NewInstance[] = [];
    for (let i = 0; i < count; i++) {
      const uuid = newUuid();
      const name = count > 1 ? `${input.name}-${i + 1}` : input.name;
      rows.push({
        uuid,
        project_id: projectId,
        user_id: caller.userId,
        display_name: name,
        display_description: input.description ?? null,
        hostname: input.hostname ?? sanitizeHostname(name, `server-${uuid}`),
        host: null,
        node: null,
        vcpus: flavor.vcpus,
        memory_mb: flavor.memoryMb,
        root_gb: flavor.rootGb,
        ephemeral_gb: flavor.ephemeralGb,
        vm_state: 'building',
        task_state: 'scheduling',
        power_state: PowerState.NOSTATE,
        status: statusOf('building', 'scheduling'),
        availability_zone: requestedAz,
        flavor: JSON.stringify(spec),
        flavor_id: flavor.id,
        image_ref: image?.id ?? '',
        image: image ? JSON.stringify(imageSpecOf(image)) : null,
        key_name: input.key_name ?? null,
        key_data: keyData,
        user_data: input.user_data ?? null,
        config_drive: input.config_drive === true || input.config_drive === 'True' || input.config_drive === 'true' ? 1 : 0,
        launch_index: i,
        reservation_id: reservationId,
        locked: 0,
        locked_by: null,
        locked_reason: null,
        access_ip_v4: input.accessIPv4 ?? null,
        access_ip_v6: input.accessIPv6 ? canonicalIPv6(input.accessIPv6) : null,
        auto_disk_config: input.diskConfig === 'AUTO' ? 1 : 0,
        security_groups: JSON.stringify((input.security_groups ?? [{ name: 'default' }]).map((g) => g.name)),
        scheduling: JSON.stringify(scheduling),
        network_info: null,
        password: null,
        progress: 0,
        launched_at: null,
        terminated_at: null,
        deleted: 0,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
    }
    const inserted = await this.store.insert(rows, input.metadata ?? {});
    for (const r of inserted) {
      if (input.tags?.length) await this.store.replaceTags(r.uuid, input.tags);
      await this.store.startAction(
        { instance_uuid: r.uuid, request_id: caller.requestId, action: 'create', project_id: projectId, user_id: caller.userId },
        null,
      );
    }
    if (groupId !== undefined)
      await resources.serverGroups.addMembers(
        groupId,
        inserted.map((r) => r.uuid),
      );
    const msg: BuildInstancesRequest = { uuids: inserted.map((r) => r.uuid), requestId: caller.requestId };
    await this.deps.bus.cast({ topic: CONDUCTOR_TOPIC }, 'build_instances', msg as never);
    return { servers: inserted, adminPass: input.adminPass ?? generatePassword(), reservationId };
  }

  async #bootImage(caller: ComputeCaller, input: CreateServerInput): Promise<GlanceImage | undefined> {
    const bdms = input.block_device_mapping_v2 ?? [];
    const bootBdm = bdms.find((b) => b.boot_index !== undefined && b.boot_index !== null && Number(b.boot_index) === 0);
    let imageId = input.imageRef ? refId(input.imageRef) : undefined;
    for (const b of bdms) {
      const source = b.source_type ?? 'image';
      const dest = b.destination_type ?? (source === 'image' ? 'local' : 'volume');
      if (dest === 'volume' || source === 'volume' || source === 'snapshot') {
        throw badRequest('Block Device Mapping is Invalid: volume-backed servers are not supported yet.', 'invalid_bdm');
      }
      if (source === 'image' && b.uuid) {
        if (b !== bootBdm) throw badRequest('Block Device Mapping is Invalid: only the boot disk may come from an image.', 'invalid_bdm');
        imageId = refId(b.uuid);
      }
    }
    if (!imageId) {
      throw badRequest(
        'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
        'invalid_bdm',
      );
    }
    if (!/^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(imageId)) {
      throw badRequest(`Invalid image identifier ${imageId}`, 'image_not_found');
    }
    return this.deps.images.get(caller.token, imageId);
  }

  /**
   * The requested zone, and a host forced with `zone:host[:node]` (admins,
   * Nova's forced_host) or 2.74's `host`/`hypervisor_hostname`.
   */
  async #checkZone(caller: ComputeCaller, input: CreateServerInput): Promise<{ zone: string | null; forcedHost: string | null }> {
    const az = input.availability_zone ?? '';
    const [zone, azHost, azNode] = az.split(':', 3);
    const host = azHost || input.host || undefined;
    const node = azNode || input.hypervisor_hostname || undefined;
    const hosts = await this.deps.resources.hosts.computeHosts();
    if (zone) {
      const zones = new Set(hosts.map((h) => h.availabilityZone));
      zones.add(this.deps.config.defaultAvailabilityZone);
      if (!zones.has(zone)) throw badRequest('The requested availability zone is not available', 'invalid_az');
    }
    if ((host || node) && !caller.isAdmin) throw forbidden();
    let forcedHost: string | null = null;
    if (host || node) {
      const match = hosts.find((h) => (!host || h.host === host) && (!node || h.node === node));
      if (!match) throw badRequest(`Compute host ${host ?? node} could not be found.`, 'compute_host_not_found');
      forcedHost = match.host;
    }
    return { zone: zone || null, forcedHost };
  }

  async checkMetadataLimit(projectId: string, count: number): Promise<void> {
    const limit = await this.deps.resources.quotas.metadataItemsLimit(projectId);
    if (limit >= 0 && count > limit) {
      throw new KumoError(
        'quota_exceeded',
        403,
        `Quota exceeded for metadata_items: Requested ${count}, but already used 0 of ${limit} metadata_items`,
      );
    }
  }

  // ------------------------------------------------------------ update / delete

  async update(
    caller: ComputeCaller,
    id: string,
    u: { name?: string; description?: string | null; hostname?: string; accessIPv4?: string; accessIPv6?: string; diskConfig?: string },
  ): Promise<ServerRecord> {
    const row = await this.getRow(caller, id);
    const patch: Partial<InstanceRow> = {};
    if (u.name !== undefined) patch.display_name = u.name;
    if (u.description !== undefined) patch.display_description = u.description;
    if (u.hostname !== undefined) patch.hostname = u.hostname;
    if (u.accessIPv4 !== undefined) patch.access_ip_v4 = u.accessIPv4 || null;
    if (u.accessIPv6 !== undefined) patch.access_ip_v6 = u.accessIPv6 ? canonicalIPv6(u.accessIPv6) : null;
    if (u.diskConfig !== undefined) patch.auto_disk_config = u.diskConfig === 'AUTO' ? 1 : 0;
    await this.store.update(row.uuid, patch);
    return this.get(caller, id);
  }

  /** Deletes a server in any state: the agent tears it down asynchronously, the claim is freed now. */
  async delete(caller: ComputeCaller, id: string): Promise<void> {
    const row = await this.getRow(caller, id);
    this.assertNotLocked(caller, row);
    const now = dbTime();
    await this.store.startAction(
      { instance_uuid: row.uuid, request_id: caller.requestId, action: 'delete', project_id: row.project_id, user_id: caller.userId },
      null,
    );
    const done = await this.store.update(row.uuid, {
      deleted: 1,
      vm_state: 'deleted',
      task_state: null,
      status: 'DELETED',
      power_state: PowerState.NOSTATE,
      deleted_at: now,
      terminated_at: now,
    });
    if (!done) return;
    // The ports go once the guest is gone (the agent tears it down first); a port still bound is only a stale tap meanwhile.
    const info = networkInfoOf(row.network_info);
    if (info.length > 0) {
      void this.deps.networks
        .deallocate(info)
        .catch((e: unknown) => this.deps.log.warn({ err: e, uuid: row.uuid }, 'freeing the ports failed'));
    }
    if (row.host) {
      const metadata = (await this.store.metadataOf([row.uuid])).get(row.uuid) ?? {};
      await this.deps.bus
        .cast({ topic: COMPUTE_TOPIC, server: row.host }, 'terminate_instance', {
          instance: instanceSpecOf(row, metadata),
          requestId: caller.requestId,
        } as never)
        .catch((e: unknown) => this.deps.log.warn({ err: e, uuid: row.uuid }, 'terminate cast failed'));
    }
    await this.deps.scheduler
      .release(row.uuid)
      .catch((e: unknown) => this.deps.log.warn({ err: e, uuid: row.uuid }, 'releasing allocations failed'));
    await this.deps.resources.serverGroups.removeMember(row.uuid).catch(() => undefined);
  }

  /** Nova's check_instance_lock: a locked server refuses non-admins. */
  assertNotLocked(caller: ComputeCaller, row: InstanceRow): void {
    if (row.locked && !caller.isAdmin) throw conflict(`Instance ${row.uuid} is locked`, 'instance_is_locked');
  }

  // ------------------------------------------------------------ metadata

  async setMetadata(caller: ComputeCaller, id: string, items: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    const row = await this.getRow(caller, id);
    this.#assertMetadataState(row);
    const current = (await this.store.metadataOf([row.uuid])).get(row.uuid) ?? {};
    const next = replace ? items : { ...current, ...items };
    await this.checkMetadataLimit(row.project_id, Object.keys(next).length);
    await this.store.setMetadata(row.uuid, items, replace);
    return (await this.store.metadataOf([row.uuid])).get(row.uuid) ?? {};
  }

  async deleteMetadata(caller: ComputeCaller, id: string, key: string): Promise<void> {
    const row = await this.getRow(caller, id);
    this.#assertMetadataState(row);
    if (!(await this.store.deleteMetadata(row.uuid, key))) throw notFound('Metadata item was not found', 'metadata_not_found');
  }

  #assertMetadataState(row: InstanceRow): void {
    if (
      !['active', 'paused', 'suspended', 'stopped', 'shelved', 'shelved_offloaded', 'building', 'rescued', 'resized', 'error'].includes(
        row.vm_state,
      )
    )
      throw conflict(`Cannot 'update metadata' instance ${row.uuid} while it is in vm_state ${row.vm_state}`, 'instance_invalid_state');
  }
}

/** Nova: user_data must be base64 and at most 65535 bytes once encoded. */
export function checkUserData(data: string): void {
  if (data.length > 65535) throw badRequest('User data too large. User data must be no larger than 65535 bytes once base64 encoded.');
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw badRequest('User data needs to be valid base 64.');
}
