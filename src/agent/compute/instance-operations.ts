/**
 * The `compute.<host>` handlers: each runs one driver operation for one
 * server (serialized per server), then reports the resulting state to the
 * conductor with instance_update and finishes the instance action event.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Bus, BusHandler } from '../../lib/bus/bus.js';
import type { ServiceClient } from '../../lib/clients/service-client.js';
import { KumoError, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import {
  CONDUCTOR_TOPIC,
  PowerState,
  type BuildRequest,
  type ComputeMethod,
  type AttachInterfaceRequest,
  type ConsoleOutputRequest,
  type DetachInterfaceRequest,
  type InstanceMessage,
  type InstanceUpdate,
  type RebootRequest,
  type RebuildRequest,
  type RescheduleRequest,
  type ResizeRequest,
  type SnapshotRequest,
  type NetworkSpec,
} from '../../lib/rpc/compute-rpc.js';
import { InstanceNotFoundError, type ComputeDriver } from './driver.js';

export interface OperationDeps {
  host: string;
  driver: ComputeDriver;
  bus: Bus;
  image: ServiceClient;
  logger: Logger;
  /** Seconds a guest gets to power off cleanly on stop. */
  shutdownTimeoutSec: number;
  /** Makes the server's ports ready on this host (taps on their bridges) before its guest starts. */
  plug?: (networks: NetworkSpec[]) => Promise<void>;
}

const REBOOT_TASKS = ['rebooting', 'reboot_pending', 'reboot_started', 'rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard'];
const REBUILD_TASKS = ['rebuilding', 'rebuild_block_device_mapping', 'rebuild_spawning'];
const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'];
const SNAPSHOT_TASKS = ['image_snapshot', 'image_snapshot_pending', 'image_pending_upload', 'image_uploading', 'image_backup'];

/** What a finished operation changes on the server (task_state is always cleared). */
type Outcome = Omit<InstanceUpdate, 'uuid' | 'expectedTaskState' | 'actionEvent'>;

export class InstanceOperations {
  readonly #d: OperationDeps;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(deps: OperationDeps) {
    this.#d = deps;
  }

  /** Runs `fn` after every earlier operation on `uuid` (also used by reconciliation). */
  serialize<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(uuid) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.#locks.set(uuid, tail);
    void tail.then(() => {
      if (this.#locks.get(uuid) === tail) this.#locks.delete(uuid);
    });
    return next;
  }

  busy(uuid: string): boolean {
    return this.#locks.has(uuid);
  }

  /** Resolves once every operation started so far has finished. */
  async drain(): Promise<void> {
    await Promise.all([...this.#locks.values()]);
  }

  async update(u: InstanceUpdate): Promise<boolean> {
    const r = await this.#d.bus.call<{ applied: boolean }>({ topic: CONDUCTOR_TOPIC }, 'instance_update', u as never);
    return r.applied;
  }

  handlers(): Record<ComputeMethod, BusHandler> {
    const d = this.#d;
    const m =
      <T extends InstanceMessage>(fn: (msg: T) => Promise<unknown>): BusHandler =>
      (args) =>
        fn(args as unknown as T);
    return {
      build_and_run_instance: m<BuildRequest>((msg) => this.serialize(msg.instance.uuid, () => this.#build(msg))),
      terminate_instance: m<InstanceMessage>((msg) =>
        this.serialize(msg.instance.uuid, async () => {
          let result: 'Success' | 'Error' = 'Success';
          let traceback: string | undefined;
          await d.driver.destroy(msg.instance.uuid).catch((e: Error) => ((result = 'Error'), (traceback = e.message)));
          // The server row is already deleted: change nothing (no task matches []), only finish the event.
          const actionEvent = { requestId: msg.requestId, event: 'compute_terminate_instance', result, traceback };
          await this.update({ uuid: msg.instance.uuid, expectedTaskState: [], actionEvent });
        }),
      ),
      stop_instance: m((msg) =>
        this.#operate(msg, 'compute_stop_instance', ['powering-off'], async () => {
          await d.driver.powerOff(msg.instance.uuid, d.shutdownTimeoutSec);
          return { vmState: 'stopped', powerState: PowerState.SHUTDOWN };
        }),
      ),
      start_instance: m((msg) =>
        this.#operate(msg, 'compute_start_instance', ['powering-on'], async () => {
          await d.driver.powerOn(msg.instance);
          return { vmState: 'active', powerState: PowerState.RUNNING };
        }),
      ),
      reboot_instance: m<RebootRequest>((msg) =>
        this.#operate(msg, 'compute_reboot_instance', REBOOT_TASKS, async () => {
          await d.driver.reboot(msg.instance, msg.rebootType === 'HARD' ? 'HARD' : 'SOFT');
          return { vmState: 'active', powerState: PowerState.RUNNING };
        }),
      ),
      pause_instance: m((msg) =>
        this.#operate(msg, 'compute_pause_instance', ['pausing'], async () => {
          await d.driver.pause(msg.instance.uuid);
          return { vmState: 'paused', powerState: PowerState.PAUSED };
        }),
      ),
      unpause_instance: m((msg) =>
        this.#operate(msg, 'compute_unpause_instance', ['unpausing'], async () => {
          await d.driver.unpause(msg.instance.uuid);
          return { vmState: 'active', powerState: PowerState.RUNNING };
        }),
      ),
      suspend_instance: m((msg) =>
        this.#operate(msg, 'compute_suspend_instance', ['suspending'], async () => {
          await d.driver.suspend(msg.instance.uuid);
          return { vmState: 'suspended', powerState: PowerState.SUSPENDED };
        }),
      ),
      resume_instance: m((msg) =>
        this.#operate(msg, 'compute_resume_instance', ['resuming'], async () => {
          await d.driver.resume(msg.instance);
          return { vmState: 'active', powerState: PowerState.RUNNING };
        }),
      ),
      rebuild_instance: m<RebuildRequest>((msg) =>
        this.#operate(
          msg,
          'compute_rebuild_instance',
          REBUILD_TASKS,
          async () => {
            await d.driver.rebuild(msg.instance, msg.image);
            // A stopped server stays stopped after a rebuild (as Nova).
            const stopped = msg.instance.vmState === 'stopped';
            if (stopped) await d.driver.powerOff(msg.instance.uuid, 0);
            return stopped
              ? { vmState: 'stopped', powerState: PowerState.SHUTDOWN, imageRef: msg.image.id }
              : { vmState: 'active', powerState: PowerState.RUNNING, imageRef: msg.image.id };
          },
          true,
        ),
      ),
      resize_instance: m<ResizeRequest>((msg) =>
        this.#operate(
          msg,
          'compute_resize_instance',
          RESIZE_TASKS,
          async () => {
            await d.driver.resize(msg.instance, msg.newFlavor);
            const stopped = msg.instance.vmState === 'stopped';
            if (stopped) await d.driver.powerOff(msg.instance.uuid, 0);
            return { vmState: 'resized', powerState: stopped ? PowerState.SHUTDOWN : PowerState.RUNNING, flavorId: msg.newFlavor.flavorId };
          },
          true,
        ),
      ),
      confirm_resize: m((msg) =>
        this.serialize(msg.instance.uuid, async () => {
          let result: 'Success' | 'Error' = 'Success';
          await d.driver.confirmResize(msg.instance).catch(() => (result = 'Error'));
          await this.update({
            uuid: msg.instance.uuid,
            actionEvent: { requestId: msg.requestId, event: 'compute_confirm_resize', result },
          });
        }),
      ),
      revert_resize: m<ResizeRequest>((msg) =>
        this.#operate(
          msg,
          'compute_revert_resize',
          ['resize_reverting'],
          async () => {
            await d.driver.revertResize(msg.instance, msg.newFlavor);
            return { vmState: 'active', powerState: PowerState.RUNNING, flavorId: msg.newFlavor.flavorId };
          },
          true,
        ),
      ),
      snapshot_instance: m<SnapshotRequest>((msg) =>
        this.#operate(msg, 'compute_snapshot_instance', SNAPSHOT_TASKS, async () => {
          await this.#snapshot(msg);
          return {};
        }),
      ),
      get_console_output: m<ConsoleOutputRequest>((msg) =>
        this.#known(msg, async () => ({ output: await d.driver.consoleOutput(msg.instance.uuid, msg.length ?? null) })),
      ),
      get_vnc_console: m((msg) => this.#known(msg, () => d.driver.vncConsole(msg.instance.uuid))),
      attach_interface: m<AttachInterfaceRequest>((msg) =>
        this.#known(msg, async () => {
          await this.#d.plug?.([msg.network]);
          await d.driver.attachInterface(msg.instance.uuid, msg.network);
          return { ok: true };
        }),
      ),
      detach_interface: m<DetachInterfaceRequest>((msg) =>
        this.#known(msg, async () => {
          await d.driver.detachInterface(msg.instance.uuid, msg.portId);
          return { ok: true };
        }),
      ),
    };
  }

  async #known<T>(msg: InstanceMessage, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof InstanceNotFoundError) throw notFound(e.message, 'instance_not_found');
      throw new KumoError('instance_not_ready', 409, `Instance ${msg.instance.uuid} is not ready: ${(e as Error).message}`);
    }
  }

  async #build(msg: BuildRequest): Promise<void> {
    const { driver, host, logger } = this.#d;
    const uuid = msg.instance.uuid;
    const event = { requestId: msg.requestId, event: 'compute_build_and_run_instance' };
    // Claim the build: fails when the server was deleted (or reset) meanwhile, or on a duplicate message.
    const mine = await this.update({ uuid, taskState: 'spawning', expectedTaskState: ['scheduling'] });
    if (!mine) return;
    try {
      await this.#d.plug?.(msg.instance.networks);
      await driver.spawn(msg.instance);
    } catch (e) {
      const reason = (e as Error).message;
      logger.warn({ err: e, uuid }, 'build failed; asking the conductor to reschedule');
      await driver.destroy(uuid).catch(() => undefined);
      await this.update({ uuid, actionEvent: { ...event, result: 'Error', traceback: reason } }).catch(() => undefined);
      const req: RescheduleRequest = { uuid, host, reason, requestId: msg.requestId };
      await this.#d.bus.cast({ topic: CONDUCTOR_TOPIC }, 'reschedule', req as never);
      return;
    }
    const applied = await this.update({
      uuid,
      host,
      node: host,
      vmState: 'active',
      taskState: null,
      powerState: PowerState.RUNNING,
      launchedAt: new Date().toISOString(),
      expectedTaskState: ['spawning'],
      actionEvent: { ...event, result: 'Success' },
    });
    // Deleted while it booted: nobody wants this guest any more.
    if (!applied) await driver.destroy(uuid);
  }

  async #operate(
    msg: InstanceMessage,
    event: string,
    expected: string[],
    work: () => Promise<Outcome>,
    errorOnFailure = false,
  ): Promise<void> {
    const uuid = msg.instance.uuid;
    await this.serialize(uuid, async () => {
      try {
        const outcome = await work();
        await this.update({
          uuid,
          ...outcome,
          taskState: null,
          expectedTaskState: expected,
          actionEvent: { requestId: msg.requestId, event, result: 'Success' },
        });
      } catch (e) {
        const message = (e as Error).message;
        this.#d.logger.warn({ err: e, uuid, event }, 'instance operation failed');
        const powerState = await this.#d.driver.powerState(uuid).catch(() => PowerState.NOSTATE);
        await this.update({
          uuid,
          taskState: null,
          powerState,
          expectedTaskState: expected,
          ...(errorOnFailure ? { vmState: 'error' as const, fault: { code: 500, message: message.slice(0, 255), details: message } } : {}),
          actionEvent: { requestId: msg.requestId, event, result: 'Error', traceback: message },
        });
      }
    });
  }

  async #snapshot(msg: SnapshotRequest): Promise<void> {
    const { image, driver } = this.#d;
    const path = `/v2/images/${encodeURIComponent(msg.imageId)}`;
    try {
      const meta = await image.request<{ disk_format?: string }>('GET', path);
      await driver.snapshot(msg.instance.uuid, meta.body.disk_format === 'raw' ? 'raw' : 'qcow2', async (file) => {
        const res = await image.fetchRaw('PUT', `${path}/file`, {
          raw: Readable.toWeb(createReadStream(file)) as unknown as RequestInit['body'],
          headers: { 'content-type': 'application/octet-stream' },
        });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`image upload answered ${res.status}: ${text.slice(0, 300)}`);
      });
    } catch (e) {
      // A snapshot that failed must not stay queued forever (Nova deletes it too).
      await image.request('DELETE', path, { expect: [204, 404] }).catch(() => undefined);
      throw e;
    }
  }
}
