import { networkInfoOf, type NetworkInfo, type ServerNetworks } from './server-network.js';
import type { Bus, BusSubscription } from '../../lib/bus/bus.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import {
  COMPUTE_TOPIC,
  CONDUCTOR_TOPIC,
  type BuildInstancesRequest,
  type BuildRequest,
  type HostReport,
  type InstanceFaultReport,
  type InstanceUpdate,
  type InstanceSpecReply,
  type InstancesOnHostRequest,
  type RescheduleRequest,
  type SetPasswordReply,
} from '../../lib/rpc/compute-rpc.js';
import { dbTime } from '../../lib/time.js';
import type { InstancePatch, ServerStore } from '../store/server-store.js';
import type { InstanceRow } from '../store/server-tables.js';
import { flavorOf, imageOf, instanceSpecOf, schedulingOf } from './instance-spec.js';
import { statusOf } from './instance-states.js';
import type { ResourceServices } from './resource-services.js';
import { flavorResources, type Scheduler } from './scheduler.js';

export const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';
const SCHEDULE_EVENT = 'conductor_schedule_and_build_instances';

export interface ConductorDeps {
  config: ComputeConfig;
  store: ServerStore;
  scheduler: Scheduler;
  networks: ServerNetworks;
  resources: ResourceServices;
  bus: Bus;
  log: Logger;
  now?: () => Date;
  /** Milliseconds after start before builds lost by a previous process are scheduled again (default 10 s). */
  redriveAfterMs?: number;
}

/**
 * Nova's conductor: schedules and drives builds, applies what agents report,
 * and makes sure no server waits forever (build timeout, hosts gone down).
 */
export class Conductor {
  #sub: BusSubscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping = false;
  #redrive: NodeJS.Timeout | undefined;
  readonly #now: () => Date;

  constructor(private readonly deps: ConductorDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async start(): Promise<void> {
    this.#sub = await this.deps.bus.serve(
      { topic: CONDUCTOR_TOPIC },
      {
        service_heartbeat: (a) => this.deps.resources.hosts.heartbeat(a as unknown as HostReport),
        instance_update: (a) => this.instanceUpdate(a as unknown as InstanceUpdate),
        reschedule: (a) => this.reschedule(a as unknown as RescheduleRequest),
        instances_on_host: (a) => this.instancesOnHost(a as unknown as InstancesOnHostRequest),
        instance_spec: (a) => this.instanceSpec(String(a.uuid)),
        set_password: (a) => this.setPassword(String(a.uuid), String(a.password)),
        network_changed: (a) => this.networkChanged(String(a.uuid)),
        build_instances: (a) => this.buildInstances(a as unknown as BuildInstancesRequest),
      },
    );
    const every = Math.max(1, Math.min(30, Math.floor(this.deps.config.buildTimeout / 4))) * 1000;
    this.#timer = setInterval(
      () => void this.sweep().catch((e: unknown) => this.deps.log.warn({ err: e }, 'conductor sweep failed')),
      every,
    );
    this.#timer.unref();
    const startedAt = this.#now();
    this.#redrive = setTimeout(
      () => void this.redriveLostBuilds(startedAt).catch((e: unknown) => this.deps.log.warn({ err: e }, 'rescheduling lost builds failed')),
      this.deps.redriveAfterMs ?? 10_000,
    );
    this.#redrive.unref();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#redrive) clearTimeout(this.#redrive);
    this.#timer = undefined;
    this.#redrive = undefined;
    await this.#sub?.close();
    this.#sub = undefined;
  }

  // ------------------------------------------------------------ build

  async buildInstances(req: BuildInstancesRequest): Promise<void> {
    // One at a time: each claim changes the free room the next one sees.
    for (const uuid of req.uuids) {
      try {
        await this.build(uuid, req.requestId);
      } catch (e) {
        this.deps.log.warn({ err: e, uuid }, 'build failed in the conductor');
        await this.fail(uuid, { code: 500, message: (e as Error).message.slice(0, 255) }, req.requestId, SCHEDULE_EVENT);
      }
    }
  }

  /**
   * A build request lives only in the bus: one that a stopped process had
   * not yet scheduled (the in-process bus, or a conductor killed mid-way)
   * would wait for the build timeout. Servers created before this conductor
   * started and still without a host are scheduled again; the delay lets a
   * live conductor elsewhere finish what it holds (`build` skips any server
   * that has a host by then).
   */
  async redriveLostBuilds(startedAt: Date): Promise<void> {
    for (const row of await this.deps.store.listUnscheduled(dbTime(startedAt))) {
      this.deps.log.warn({ uuid: row.uuid }, 'scheduling a build that a previous process did not finish');
      const requestId = schedulingOf(row).requestId;
      await this.build(row.uuid, requestId).catch(async (e: unknown) => {
        await this.fail(row.uuid, { code: 500, message: (e as Error).message.slice(0, 255) }, requestId, SCHEDULE_EVENT);
      });
    }
  }

  async build(uuid: string, requestId: string): Promise<void> {
    const { store, scheduler } = this.deps;
    const row = await store.get(uuid);
    // A host already chosen means another conductor (or an earlier message) scheduled it.
    if (!row || row.vm_state !== 'building' || row.task_state !== 'scheduling' || row.host) return;
    const sched = schedulingOf(row);
    await store.startEvent(uuid, requestId, SCHEDULE_EVENT, null);
    const selection = await scheduler.selectAndClaim({
      uuid,
      projectId: row.project_id,
      userId: row.user_id,
      resources: flavorResources(flavorOf(row)),
      availabilityZone: sched.requestedAz,
      forcedHost: sched.forcedHost ?? null,
      excludedHosts: sched.excludedHosts,
      imageProperties: imageOf(row)?.properties ?? {},
    });
    if (!selection) {
      const last = sched.lastError ? ` Last exception: ${sched.lastError}` : '';
      const message =
        sched.attempts > 0 ? `${NO_VALID_HOST} Exceeded max scheduling attempts or no other host fits.${last}` : NO_VALID_HOST;
      await this.fail(uuid, { code: 500, message: NO_VALID_HOST, details: message }, requestId, SCHEDULE_EVENT);
      return;
    }
    const hosts = await this.deps.resources.hosts.computeHosts();
    const az = hosts.find((h) => h.host === selection.host)?.availabilityZone ?? row.availability_zone;
    const attempt = sched.attempts + 1;
    const applied = await store.update(
      uuid,
      { host: selection.host, node: selection.node, availability_zone: az, scheduling: JSON.stringify({ ...sched, attempts: attempt }) },
      ['scheduling'],
    );
    if (!applied) {
      // Deleted (or reset) while we scheduled: give the room back.
      await scheduler.release(uuid);
      return;
    }
    // Ports are made and bound now that the host is known (Nova's allocate_for_instance).
    let info: NetworkInfo[];
    try {
      info = await this.deps.networks.allocate(
        { uuid, projectId: row.project_id, zone: az, securityGroups: JSON.parse(row.security_groups) as string[] },
        sched.nics ?? [],
        selection.host,
        networkInfoOf(row.network_info),
      );
    } catch (e) {
      await scheduler.release(uuid);
      const message = `Build of instance ${uuid} aborted: Failed to allocate the network(s), not rescheduling.`;
      await this.fail(uuid, { code: 500, message, details: (e as Error).message }, requestId, SCHEDULE_EVENT);
      return;
    }
    if (info.length > 0) await store.update(uuid, { network_info: JSON.stringify(info) });
    await store.finishEvent(uuid, requestId, SCHEDULE_EVENT, 'Success', null, null);
    const fresh = (await store.get(uuid))!;
    const metadata = (await store.metadataOf([uuid])).get(uuid) ?? {};
    const msg: BuildRequest = { instance: instanceSpecOf(fresh, metadata), requestId, attempt };
    await this.deps.bus.cast({ topic: COMPUTE_TOPIC, server: selection.host }, 'build_and_run_instance', msg as never);
  }

  async reschedule(req: RescheduleRequest): Promise<void> {
    const { store, scheduler, config } = this.deps;
    await scheduler.release(req.uuid);
    const row = await store.get(req.uuid);
    if (!row || row.vm_state !== 'building') return;
    const sched = schedulingOf(row);
    const excludedHosts = [...new Set([...sched.excludedHosts, req.host])];
    if (sched.attempts >= config.schedulerMaxAttempts) {
      await this.fail(
        req.uuid,
        {
          code: 500,
          message:
            `Exceeded maximum number of retries. Exceeded max scheduling attempts ${config.schedulerMaxAttempts} for instance ${req.uuid}. Last exception: ${req.reason}`.slice(
              0,
              255,
            ),
          details: req.reason,
        },
        req.requestId,
        SCHEDULE_EVENT,
      );
      return;
    }
    const applied = await store.update(req.uuid, {
      host: null,
      node: null,
      task_state: 'scheduling',
      status: statusOf('building', 'scheduling'),
      scheduling: JSON.stringify({ ...sched, excludedHosts, lastError: req.reason }),
    });
    if (applied) await this.build(req.uuid, req.requestId);
  }

  /** Puts a server in ERROR with a fault, clears its task and finishes the event as failed. */
  async fail(uuid: string, fault: InstanceFaultReport, requestId: string | null, event: string | null): Promise<void> {
    const { store } = this.deps;
    const row = await store.get(uuid);
    if (!row) return;
    // The fault first: a reader that sees ERROR must see why.
    await store.addFault({ instance_uuid: uuid, code: fault.code, message: fault.message, details: fault.details ?? null, host: row.host });
    const applied = await store.update(uuid, { vm_state: 'error', task_state: null, status: statusOf('error', null) });
    if (!applied) return;
    if (requestId && event) await store.finishEvent(uuid, requestId, event, 'Error', fault.details ?? fault.message, row.host);
    // A server that never reached a host holds no resources.
    if (!row.host) await this.deps.scheduler.release(uuid).catch(() => undefined);
  }

  // ------------------------------------------------------------ agent reports

  async instanceUpdate(u: InstanceUpdate): Promise<{ applied: boolean }> {
    const { store } = this.deps;
    let applied = false;
    for (let tries = 0; tries < 3 && !applied; tries++) {
      const row = await store.get(u.uuid);
      if (!row) break;
      const patch: InstancePatch = {};
      if (u.host !== undefined) patch.host = u.host;
      if (u.node !== undefined) patch.node = u.node;
      if (u.powerState !== undefined) patch.power_state = u.powerState;
      if (u.launchedAt !== undefined && !row.launched_at) patch.launched_at = u.launchedAt;
      if (u.terminatedAt !== undefined) patch.terminated_at = u.terminatedAt;
      const vm = u.vmState ?? row.vm_state;
      const task = u.taskState !== undefined ? u.taskState : row.task_state;
      if (u.vmState !== undefined) patch.vm_state = u.vmState;
      if (u.taskState !== undefined) patch.task_state = u.taskState;
      patch.status = statusOf(vm, task);
      if (u.flavorId !== undefined) Object.assign(patch, flavorSwitch(row, u.flavorId));
      if (u.vmState === 'active' && row.vm_state === 'building') patch.progress = 100;
      // Compare-and-set on the task the update expects, else on the task we read (a concurrent API change wins).
      // The fault first: a reader that sees ERROR must see why (a fault shows only on servers in ERROR).
      if (u.fault && tries === 0)
        await store.addFault({ instance_uuid: u.uuid, ...u.fault, details: u.fault.details ?? null, host: row.host });
      applied = await store.update(u.uuid, patch, u.expectedTaskState ?? [row.task_state]);
      if (!applied && u.expectedTaskState) break;
    }
    if (u.actionEvent) {
      const e = u.actionEvent;
      await store.finishEvent(u.uuid, e.requestId, e.event, e.result, e.traceback ?? null, u.host ?? null);
    }
    return { applied };
  }

  async instancesOnHost(req: InstancesOnHostRequest): Promise<{ instances: ReturnType<typeof instanceSpecOf>[] }> {
    const rows = await this.deps.store.listByHost(req.host);
    const meta = await this.deps.store.metadataOf(rows.map((r) => r.uuid));
    return { instances: rows.map((r) => instanceSpecOf(r, meta.get(r.uuid) ?? {})) };
  }

  /** One live server as agents see it (the metadata service answers guests from it). */
  async instanceSpec(uuid: string): Promise<InstanceSpecReply> {
    const row = await this.deps.store.get(uuid);
    if (!row) return { instance: null, password: null };
    const meta = await this.deps.store.metadataOf([uuid]);
    return { instance: instanceSpecOf(row, meta.get(uuid) ?? {}), password: row.password };
  }

  /** The network service says a server's ports changed (a floating IP came or went): refresh its addresses. */
  async networkChanged(uuid: string): Promise<void> {
    const row = await this.deps.store.get(uuid);
    const info = networkInfoOf(row?.network_info ?? null);
    if (!row || info.length === 0) return;
    const fresh = await this.deps.networks.withFloatingIps(info);
    await this.deps.store.update(uuid, { network_info: JSON.stringify(fresh) });
  }

  /** The password a guest posts to the metadata service (once; os-server-password clears it). */
  async setPassword(uuid: string, password: string): Promise<SetPasswordReply> {
    return { status: await this.deps.store.setPassword(uuid, password) };
  }

  // ------------------------------------------------------------ watchdog

  /** Servers stuck in BUILD past the build timeout go to ERROR; tasks on hosts that went down are cleared. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const { config, store } = this.deps;
      const before = dbTime(new Date(this.#now().getTime() - config.buildTimeout * 1000));
      const hosts = await this.deps.resources.hosts.computeHosts();
      const down = hosts.filter((h) => !h.up).map((h) => h.host);
      for (const row of await store.listStuck(before, down)) {
        if (row.vm_state === 'building') {
          const timedOut = row.created_at < before;
          const message = timedOut ? 'Instance build timed out. Set to error state.' : `Compute host ${row.host} is down.`;
          await this.fail(row.uuid, { code: 500, message }, schedulingOf(row).requestId, null);
        } else {
          await this.#clearTask(row);
        }
      }
    } finally {
      this.#sweeping = false;
    }
  }

  async #clearTask(row: InstanceRow): Promise<void> {
    // A resize in flight on a dead host cannot finish: go back to the pre-task state.
    await this.deps.store.update(row.uuid, { task_state: null, status: statusOf(row.vm_state, null) }, [row.task_state]);
  }
}

/** Applies the flavor the agent reports after a resize or a revert. */
function flavorSwitch(row: InstanceRow, flavorId: string): InstancePatch {
  const current = flavorOf(row);
  if (current.flavorId === flavorId) return {};
  const sched = schedulingOf(row);
  const next = [sched.newFlavor, sched.oldFlavor].find((f) => f?.flavorId === flavorId);
  if (!next) return {};
  return {
    flavor: JSON.stringify(next),
    flavor_id: next.flavorId,
    vcpus: next.vcpus,
    memory_mb: next.memoryMb,
    root_gb: next.rootGb,
    ephemeral_gb: next.ephemeralGb,
  };
}
