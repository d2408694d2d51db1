import { badRequest, conflict, forbidden, isKumoError, notImplemented } from '../../lib/errors.js';
import { COMPUTE_TOPIC, PowerState, type ImageSpec } from '../../lib/rpc/compute-rpc.js';
import type { InstancePatch } from '../store/server-store.js';
import type { InstanceRow } from '../store/server-tables.js';
import type { ComputeCaller } from './caller.js';
import { flavorOf, instanceSpecOf, schedulingOf } from './instance-spec.js';
import { ACTION_RULES, SOFT_REBOOT_RULE, checkInstanceState, statusOf, type StateRule } from './instance-states.js';
import { flavorResources } from './scheduler.js';
import { imageSpecOf } from './server-image-client.js';
import { checkUserData, flavorSpecOf, generatePassword, refId, type ServerService } from './server-service.js';
import { canonicalIPv6 } from './ip-address.js';

/** Simple power actions: API name → (Nova action name, task_state, agent method, allowed states). */
const POWER_ACTIONS: Record<string, { action: string; task: string; method: string; rule: StateRule }> = {
  'os-stop': { action: 'stop', task: 'powering-off', method: 'stop_instance', rule: ACTION_RULES.stop! },
  'os-start': { action: 'start', task: 'powering-on', method: 'start_instance', rule: ACTION_RULES.start! },
  pause: { action: 'pause', task: 'pausing', method: 'pause_instance', rule: ACTION_RULES.pause! },
  unpause: { action: 'unpause', task: 'unpausing', method: 'unpause_instance', rule: ACTION_RULES.unpause! },
  suspend: { action: 'suspend', task: 'suspending', method: 'suspend_instance', rule: ACTION_RULES.suspend! },
  resume: { action: 'resume', task: 'resuming', method: 'resume_instance', rule: ACTION_RULES.resume! },
};
export const POWER_ACTION_NAMES = Object.keys(POWER_ACTIONS);

const HARD_REBOOT_TASKS = [
  null,
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'rebooting_hard',
  'resuming',
  'unpausing',
  'pausing',
  'suspending',
];

export interface RebuildInput {
  imageRef: string;
  name?: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  accessIPv4?: string;
  accessIPv6?: string;
  description?: string | null;
  key_name?: string | null;
  user_data?: string | null;
  hostname?: string;
  /** OS-DCF:diskConfig: AUTO or MANUAL partitioning of the new root disk. */
  diskConfig?: string;
}

/** Server actions (POST /servers/{id}/action): state checks, task states, instance actions, casts to the agent. */
export class ServerActions {
  constructor(private readonly svc: ServerService) {}

  get #store() {
    return this.svc.store;
  }

  /** Sets the task (compare-and-set on the state we checked), records the action and casts to the host. */
  async #begin(
    caller: ComputeCaller,
    row: InstanceRow,
    action: string,
    patch: InstancePatch & { task_state: string | null },
    cast?: { method: string; extra?: Record<string, unknown> },
  ): Promise<InstanceRow> {
    const vm = patch.vm_state ?? row.vm_state;
    const ok = await this.#store.update(row.uuid, { ...patch, status: statusOf(vm, patch.task_state) }, [row.task_state]);
    if (!ok)
      throw conflict(`Cannot '${action}' instance ${row.uuid} while it is in task_state ${row.task_state}`, 'instance_invalid_state');
    await this.#store.startAction(
      { instance_uuid: row.uuid, request_id: caller.requestId, action, project_id: row.project_id, user_id: caller.userId },
      null,
    );
    const fresh = (await this.#store.get(row.uuid))!;
    if (cast) await this.#cast(caller, fresh, cast.method, cast.extra);
    return fresh;
  }

  async #cast(caller: ComputeCaller, row: InstanceRow, method: string, extra: Record<string, unknown> = {}): Promise<void> {
    if (!row.host) return;
    const metadata = (await this.#store.metadataOf([row.uuid])).get(row.uuid) ?? {};
    await this.svc.deps.bus.cast({ topic: COMPUTE_TOPIC, server: row.host }, method, {
      instance: instanceSpecOf(row, metadata),
      requestId: caller.requestId,
      ...extra,
    } as never);
  }

  #needsHost(row: InstanceRow, action: string): void {
    if (!row.host)
      throw conflict(`Cannot '${action}' instance ${row.uuid} while it is in vm_state ${row.vm_state}`, 'instance_invalid_state');
  }

  async power(caller: ComputeCaller, row: InstanceRow, name: string): Promise<void> {
    const a = POWER_ACTIONS[name]!;
    this.svc.assertNotLocked(caller, row);
    checkInstanceState(a.action, row, a.rule);
    if (!row.host) {
      // Never scheduled (e.g. ERROR before a host was picked): only stop makes sense, and it is immediate.
      if (a.action !== 'stop') this.#needsHost(row, a.action);
      await this.#begin(caller, row, a.action, { vm_state: 'stopped', task_state: null, power_state: PowerState.SHUTDOWN });
      return;
    }
    await this.#begin(caller, row, a.action, { task_state: a.task }, { method: a.method });
  }

  async reboot(caller: ComputeCaller, row: InstanceRow, type: 'SOFT' | 'HARD'): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('reboot', row, { ...ACTION_RULES.reboot!, taskStates: HARD_REBOOT_TASKS });
    if (type === 'SOFT') checkInstanceState('reboot', row, SOFT_REBOOT_RULE);
    this.#needsHost(row, 'reboot');
    await this.#begin(
      caller,
      row,
      'reboot',
      { task_state: type === 'SOFT' ? 'rebooting' : 'rebooting_hard' },
      { method: 'reboot_instance', extra: { rebootType: type } },
    );
  }

  async lock(caller: ComputeCaller, row: InstanceRow, reason: string | undefined): Promise<void> {
    await this.#store.update(row.uuid, {
      locked: 1,
      locked_by: row.project_id === caller.projectId ? 'owner' : 'admin',
      locked_reason: reason ?? null,
    });
    await this.#record(caller, row, 'lock');
  }

  async unlock(caller: ComputeCaller, row: InstanceRow): Promise<void> {
    if (row.locked && row.locked_by === 'admin' && !caller.isAdmin) throw forbidden();
    await this.#store.update(row.uuid, { locked: 0, locked_by: null, locked_reason: null });
    await this.#record(caller, row, 'unlock');
  }

  async #record(caller: ComputeCaller, row: InstanceRow, action: string): Promise<void> {
    await this.#store.startAction(
      { instance_uuid: row.uuid, request_id: caller.requestId, action, project_id: row.project_id, user_id: caller.userId },
      null,
    );
  }

  async rebuild(caller: ComputeCaller, row: InstanceRow, input: RebuildInput): Promise<{ row: InstanceRow; adminPass: string }> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('rebuild', row, ACTION_RULES.rebuild!);
    this.#needsHost(row, 'rebuild');
    const image = await this.svc.deps.images.get(caller.token, refId(input.imageRef));
    if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`, 'image_not_active');
    const flavor = flavorOf(row);
    if (flavor.memoryMb < (image.min_ram ?? 0)) throw badRequest("Flavor's memory is too small for requested image.");
    if (flavor.rootGb > 0 && flavor.rootGb < (image.min_disk ?? 0)) throw badRequest("Flavor's disk is too small for requested image.");
    if (input.user_data) checkUserData(input.user_data);
    const patch: InstancePatch & { task_state: string } = {
      task_state: 'rebuilding',
      image_ref: image.id,
      image: JSON.stringify(imageSpecOf(image)),
    };
    if (input.name !== undefined) patch.display_name = input.name;
    if (input.description !== undefined) patch.display_description = input.description;
    if (input.accessIPv4 !== undefined) patch.access_ip_v4 = input.accessIPv4 || null;
    if (input.accessIPv6 !== undefined) patch.access_ip_v6 = input.accessIPv6 ? canonicalIPv6(input.accessIPv6) : null;
    if (input.hostname !== undefined) patch.hostname = input.hostname;
    if (input.diskConfig !== undefined) patch.auto_disk_config = input.diskConfig === 'AUTO' ? 1 : 0;
    if (input.user_data !== undefined) patch.user_data = input.user_data;
    if (input.key_name !== undefined) {
      if (input.key_name === null) {
        patch.key_name = null;
        patch.key_data = null;
      } else {
        const kp = await this.svc.deps.resources.keypairs.get(caller.userId, input.key_name).catch((e: unknown) => {
          if (isKumoError(e) && e.status === 404) throw badRequest('Invalid key_name provided.');
          throw e;
        });
        patch.key_name = kp.name;
        patch.key_data = kp.publicKey;
      }
    }
    if (input.metadata !== undefined) {
      await this.svc.checkMetadataLimit(row.project_id, Object.keys(input.metadata).length);
      await this.#store.setMetadata(row.uuid, input.metadata, true);
    }
    const imageSpec: ImageSpec = imageSpecOf(image);
    const fresh = await this.#begin(caller, row, 'rebuild', patch, { method: 'rebuild_instance', extra: { image: imageSpec } });
    return { row: fresh, adminPass: input.adminPass ?? generatePassword() };
  }

  async resize(caller: ComputeCaller, row: InstanceRow, flavorRef: string, diskConfig?: string): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('resize', row, ACTION_RULES.resize!);
    this.#needsHost(row, 'resize');
    const current = flavorOf(row);
    const flavor = await this.svc.deps.resources.flavors.getForCaller(caller, refId(flavorRef)).catch((e: unknown) => {
      if (isKumoError(e) && e.status === 404) throw badRequest(`Flavor ${refId(flavorRef)} could not be found.`, 'flavor_not_found');
      throw e;
    });
    if (flavor.id === current.flavorId) throw badRequest('When resizing, instances must change flavor!', 'cannot_resize_to_same_flavor');
    if (current.rootGb > 0 && flavor.rootGb < current.rootGb)
      throw badRequest('Resize error: Unable to resize disk down.', 'cannot_resize_disk_down');
    const dCores = Math.max(0, flavor.vcpus - current.vcpus);
    const dRam = Math.max(0, flavor.memoryMb - current.memoryMb);
    if (dCores || dRam)
      await this.svc.deps.resources.quotas.checkServers(row.project_id, row.user_id, { instances: 0, cores: dCores, ram: dRam });
    const sched = schedulingOf(row);
    // Kumo resizes on the same host: the claim grows (or shrinks) in place.
    const claimed = await this.svc.deps.scheduler.reclaimInPlace(
      row.uuid,
      flavorResources(flavorSpecOf(flavor)),
      row.project_id,
      row.user_id,
    );
    if (!claimed) throw badRequest('No valid host was found. No valid host found for resize', 'no_valid_host');
    await this.#begin(
      caller,
      row,
      'resize',
      {
        task_state: 'resize_prep',
        scheduling: JSON.stringify({ ...sched, oldFlavor: current, newFlavor: flavorSpecOf(flavor) }),
        ...(diskConfig !== undefined ? { auto_disk_config: diskConfig === 'AUTO' ? 1 : 0 } : {}),
      },
      { method: 'resize_instance', extra: { newFlavor: flavorSpecOf(flavor) } },
    );
  }

  async confirmResize(caller: ComputeCaller, row: InstanceRow): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('confirmResize', row, ACTION_RULES.confirmResize!);
    const running = row.power_state === PowerState.RUNNING || row.power_state === PowerState.NOSTATE;
    const sched = schedulingOf(row);
    delete sched.oldFlavor;
    delete sched.newFlavor;
    const fresh = await this.#begin(caller, row, 'confirmResize', {
      vm_state: running ? 'active' : 'stopped',
      task_state: null,
      scheduling: JSON.stringify(sched),
    });
    await this.#cast(caller, fresh, 'confirm_resize');
  }

  async revertResize(caller: ComputeCaller, row: InstanceRow): Promise<void> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('revertResize', row, ACTION_RULES.revertResize!);
    const sched = schedulingOf(row);
    if (sched.oldFlavor) {
      await this.svc.deps.scheduler.reclaimInPlace(row.uuid, flavorResources(sched.oldFlavor), row.project_id, row.user_id);
    }
    await this.#begin(
      caller,
      row,
      'revertResize',
      { task_state: 'resize_reverting' },
      {
        method: 'revert_resize',
        extra: { newFlavor: sched.oldFlavor ?? flavorOf(row) },
      },
    );
  }

  async createImage(caller: ComputeCaller, row: InstanceRow, name: string, metadata: Record<string, string>): Promise<string> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('createImage', row, ACTION_RULES.createImage!);
    this.#needsHost(row, 'createImage');
    const image = await this.svc.deps.images.createSnapshot(
      caller.token,
      // As Nova, the caller's metadata may override the image type.
      this.#snapshotBody(caller, row, name, { image_type: 'snapshot', ...metadata }),
    );
    await this.#begin(
      caller,
      row,
      'createImage',
      { task_state: 'image_snapshot' },
      { method: 'snapshot_instance', extra: { imageId: image.id } },
    );
    return image.id;
  }

  /**
   * Nova's createBackup: a snapshot tagged with its backup type, keeping only
   * the newest `rotation` backups of that type (0: none, and no new one).
   */
  async createBackup(
    caller: ComputeCaller,
    row: InstanceRow,
    b: { name: string; backupType: string; rotation: number; metadata: Record<string, string> },
  ): Promise<string | undefined> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('createBackup', row, ACTION_RULES.createImage!);
    this.#needsHost(row, 'createBackup');
    const images = this.svc.deps.images;
    const existing = await images.list(caller.token, { instance_uuid: row.uuid, image_type: 'backup', backup_type: b.backupType });
    // The new backup counts towards the rotation.
    const keep = Math.max(0, b.rotation - 1);
    for (const old of existing.slice(keep)) await images.delete(caller.token, old.id);
    if (b.rotation === 0) return undefined;
    const image = await images.createSnapshot(
      caller.token,
      this.#snapshotBody(caller, row, b.name, { image_type: 'backup', ...b.metadata, backup_type: b.backupType }),
    );
    await this.#begin(
      caller,
      row,
      'createBackup',
      { task_state: 'image_backup' },
      { method: 'snapshot_instance', extra: { imageId: image.id } },
    );
    return image.id;
  }

  #snapshotBody(caller: ComputeCaller, row: InstanceRow, name: string, extra: Record<string, string>): Record<string, unknown> {
    const base = row.image ? (JSON.parse(row.image) as ImageSpec) : null;
    return {
      name,
      container_format: base?.containerFormat ?? 'bare',
      disk_format: base?.diskFormat === 'raw' ? 'raw' : 'qcow2',
      // Properties that describe the guest carry over to its snapshot, as Nova's image meta inheritance.
      ...Object.fromEntries(
        Object.entries(base?.properties ?? {}).filter(([k]) => k.startsWith('hw_') || k === 'os_type' || k === 'os_distro'),
      ),
      ...extra,
      instance_uuid: row.uuid,
      user_id: caller.userId,
      ...(base ? { base_image_ref: base.id } : {}),
    };
  }

  async consoleOutput(caller: ComputeCaller, row: InstanceRow, length: number | null): Promise<string> {
    if (!row.host || row.vm_state === 'building') throw conflict(`Instance ${row.uuid} is not ready`, 'instance_not_ready');
    const metadata = (await this.#store.metadataOf([row.uuid])).get(row.uuid) ?? {};
    const r = await this.svc.deps.bus.call<{ output: string }>(
      { topic: COMPUTE_TOPIC, server: row.host },
      'get_console_output',
      { instance: instanceSpecOf(row, metadata), requestId: caller.requestId, length } as never,
      { timeoutMs: 30_000 },
    );
    return r.output;
  }

  async changePassword(caller: ComputeCaller, row: InstanceRow): Promise<never> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState('changePassword', row, ACTION_RULES.changePassword!);
    throw notImplemented('Unable to set password on instance');
  }

  async resetState(caller: ComputeCaller, row: InstanceRow, state: 'active' | 'error'): Promise<void> {
    await this.#store.update(row.uuid, { vm_state: state, task_state: null, status: statusOf(state, null) });
    await this.#record(caller, row, 'resetState');
  }

  /**
   * Actions on states Kumo never produces (soft-deleted, shelved): always the
   * 409 Nova gives for the wrong state, since no server can be in the right one.
   */
  async refuse(row: InstanceRow, action: string, vmStates: string[]): Promise<never> {
    checkInstanceState(action, row, { vmStates, taskStates: [null] });
    throw conflict(`Cannot '${action}' instance ${row.uuid} while it is in vm_state ${row.vm_state}`, 'instance_invalid_state');
  }

  /** Cold/live migration needs a second host; Kumo's scheduler has none to offer on a single-host cloud. */
  async migrate(caller: ComputeCaller, row: InstanceRow, live: boolean): Promise<never> {
    this.svc.assertNotLocked(caller, row);
    checkInstanceState(live ? 'os-migrateLive' : 'migrate', row, ACTION_RULES[live ? 'os-migrateLive' : 'migrate']!);
    const hosts = await this.svc.deps.resources.hosts.computeHosts();
    const others = hosts.filter((h) => h.host !== row.host && h.enabled && h.up);
    if (!others.length)
      throw badRequest(`No valid host was found. No valid host found for ${live ? 'live' : 'cold'} migrate`, 'no_valid_host');
    throw conflict('Migration between hosts is not supported yet.', 'migration_not_supported');
  }
}
