/**
 * The compute agent of one hypervisor host: registers the host in placement,
 * serves `compute.<host>` on the bus, heartbeats to the conductor and keeps
 * what runs on the host in line with what the conductor knows
 * (reconciliation, as Nova's _sync_power_states and _cleanup_running_deleted_instances).
 */
import { NetworkAgent } from '../network/network-agent.js';
import { tapNics } from './qemu/qemu-nics.js';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Bus, BusSubscription } from '../../lib/bus/bus.js';
import { ServiceClient } from '../../lib/clients/service-client.js';
import type { ServiceSession } from '../../lib/clients/service-session.js';
import { parsePhysicalNetworks, type KumoConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import {
  COMPUTE_METHODS,
  COMPUTE_RPC_VERSION,
  COMPUTE_TOPIC,
  CONDUCTOR_TOPIC,
  PowerState,
  type HostReport,
  type InstanceSpec,
} from '../../lib/rpc/compute-rpc.js';
import type { ComputeDriver } from './driver.js';
import { FakeDriver } from './fake/fake-driver.js';
import { InstanceOperations } from './instance-operations.js';
import { reportProvider } from './placement-reporter.js';
import { QemuDriver } from './qemu/qemu-driver.js';

/** A running compute agent. */
export interface ComputeAgent {
  readonly providerUuid: string;
  readonly driver: ComputeDriver;
  /** Runs one reconciliation pass now (it also runs periodically). */
  reconcile(): Promise<void>;
  close(): Promise<void>;
}

export interface ComputeAgentDeps {
  logger: Logger;
  bus: Bus;
  /** Service-user session: placement (resource provider) and image (downloads) calls. */
  session: ServiceSession;
  /** Tests: a ready driver instead of the one config.agent.driver names. */
  driver?: ComputeDriver;
  /** Seconds between reconciliation passes (default 60). */
  reconcileInterval?: number;
}

/** Vm states whose guest should exist on the host. */
const ON_HOST = new Set(['active', 'stopped', 'paused', 'suspended', 'resized', 'rescued']);

export async function startComputeAgent(config: KumoConfig, deps: ComputeAgentDeps): Promise<ComputeAgent> {
  const cfg = config.agent;
  const log = deps.logger.child({ component: 'compute-agent', host: cfg.host });
  await mkdir(cfg.instancesDir, { recursive: true });
  await mkdir(cfg.imageCacheDir, { recursive: true });
  const image = new ServiceClient(deps.session, 'image');
  const placement = new ServiceClient(deps.session, 'placement', { microversion: '1.39' });
  const driver = deps.driver ?? createDriver(config, image);
  await driver.init();

  let providerUuid = await loadProviderUuid(cfg.instancesDir);
  const resources = await driver.hostResources();
  let registered = false;
  const register = async (): Promise<void> => {
    if (registered) return;
    try {
      const uuid = await reportProvider(placement, cfg.host, providerUuid, resources, cfg, (o, m) => log.warn(o, m));
      if (uuid !== providerUuid) await writeFile(join(cfg.instancesDir, 'provider-uuid'), `${uuid}\n`);
      providerUuid = uuid;
      registered = true;
    } catch (e) {
      log.warn({ err: e }, 'registering the resource provider failed; retrying at the next heartbeat');
    }
  };
  await register();

  const network = new NetworkAgent({
    host: cfg.host,
    tunnelIp: cfg.tunnelIp || hostIp(),
    dhcp: cfg.networkDhcp,
    l3: cfg.networkL3,
    physicalNetworks: parsePhysicalNetworks(config.network.physicalNetworks),
    providerGateway: config.network.providerGateway,
    netnsPrefix: config.network.netnsPrefix,
    stateDir: join(config.dataDir, 'network'),
    bus: deps.bus,
    log: deps.logger.child({ component: 'network-agent', host: cfg.host }),
    // The data plane is real hosts' business: never with the fake driver or a test's driver.
    dataplane: cfg.networkDataplane && cfg.driver === 'qemu' && !deps.driver,
    ...(cfg.netns ? { hostNetns: cfg.netns } : {}),
  });
  await network.start();
  const ops = new InstanceOperations({
    host: cfg.host,
    driver,
    bus: deps.bus,
    image,
    logger: log,
    shutdownTimeoutSec: 60,
    plug: (networks) => network.plug(networks),
  });
  const handlers = ops.handlers();
  for (const m of COMPUTE_METHODS) if (!handlers[m]) throw new Error(`compute agent misses a handler for ${m}`);
  const sub: BusSubscription = await deps.bus.serve({ topic: COMPUTE_TOPIC, server: cfg.host }, handlers);

  const report = (): HostReport => ({
    host: cfg.host,
    binary: 'nova-compute',
    rpcVersion: COMPUTE_RPC_VERSION,
    providerUuid,
    hypervisorType: resources.hypervisorType,
    hypervisorVersion: resources.hypervisorVersion,
    hostIp: hostIp(),
    vcpus: resources.vcpus,
    memoryMb: resources.memoryMb,
    localGb: resources.diskGb,
    cpuInfo: resources.cpuInfo,
  });
  let closed = false;
  const heartbeat = async (): Promise<void> => {
    await register();
    try {
      await deps.bus.call({ topic: CONDUCTOR_TOPIC }, 'service_heartbeat', report() as never, { timeoutMs: 10_000 });
    } catch (e) {
      if (!closed) log.warn({ err: e }, 'heartbeat failed');
    }
  };

  let reconciling: Promise<void> | undefined;
  const reconcile = (): Promise<void> => {
    reconciling ??= reconcileOnce(cfg.host, driver, ops, deps.bus, log).finally(() => (reconciling = undefined));
    return reconciling;
  };

  driver.onUnexpectedStop?.((uuid) => {
    if (closed) return;
    log.warn({ uuid }, 'guest stopped unexpectedly');
    void ops
      .serialize(uuid, () => ops.update({ uuid, vmState: 'stopped', powerState: PowerState.SHUTDOWN, expectedTaskState: [null] }))
      .catch((e: unknown) => log.warn({ err: e, uuid }, 'reporting an unexpected stop failed'));
  });

  await heartbeat();
  const hbTimer = setInterval(() => void heartbeat(), Math.max(1, cfg.heartbeatInterval) * 1000);
  hbTimer.unref();
  void recoverInterrupted(cfg.host, driver, ops, deps.bus, log)
    .then(reconcile)
    .catch((e: unknown) => log.warn({ err: e }, 'reconciliation failed'));
  const recTimer = setInterval(
    () => void reconcile().catch((e: unknown) => log.warn({ err: e }, 'reconciliation failed')),
    (deps.reconcileInterval ?? 60) * 1000,
  );
  recTimer.unref();
  log.info({ providerUuid, driver: driver.hypervisorType }, 'compute agent started');

  return {
    get providerUuid() {
      return providerUuid;
    },
    driver,
    reconcile,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(hbTimer);
      clearInterval(recTimer);
      await sub.close();
      await network.close();
      await reconciling?.catch(() => undefined);
      await ops.drain();
      await driver.close();
    },
  };
}

function createDriver(config: KumoConfig, image: ServiceClient): ComputeDriver {
  const cfg = config.agent;
  if (cfg.driver === 'fake') {
    return new FakeDriver({
      stateDir: cfg.instancesDir,
      vcpus: cfg.fakeVcpus,
      memoryMb: cfg.fakeMemoryMb,
      diskGb: cfg.fakeDiskGb,
      vncListen: cfg.vncListen,
      delayMs: cfg.fakeDelayMs,
    });
  }
  return new QemuDriver({
    nics: tapNics,
    ...(cfg.netns ? { netns: cfg.netns } : {}),
    instancesDir: cfg.instancesDir,
    imageCacheDir: cfg.imageCacheDir,
    vncListen: cfg.vncListen,
    fetchImage: (id) =>
      image.fetchRaw('GET', `/v2/images/${encodeURIComponent(id)}/file`, { headers: { accept: 'application/octet-stream' } }),
  });
}

/** The provider UUID of this host, created once and kept in `<instances_dir>/provider-uuid`. */
async function loadProviderUuid(dir: string): Promise<string> {
  const path = join(dir, 'provider-uuid');
  const saved = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f-]{36}$/i.test(saved)) return saved;
  const uuid = randomUUID();
  await writeFile(path, `${uuid}\n`);
  return uuid;
}

function hostIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Once at start (Nova's init_host): a task this host had in flight when its
 * process ended will never finish. A build is put in ERROR (its half-made
 * guest removed); any other task is cleared, and the reconciliation that
 * follows reports the power state the guest really has. Operations already
 * running again (a message delivered since start) are left alone.
 */
export async function recoverInterrupted(
  host: string,
  driver: ComputeDriver,
  ops: InstanceOperations,
  bus: Bus,
  log: Logger,
): Promise<void> {
  const { instances } = await bus.call<{ instances: InstanceSpec[] }>({ topic: CONDUCTOR_TOPIC }, 'instances_on_host', { host });
  for (const inst of instances) {
    if (inst.taskState === null || ops.busy(inst.uuid)) continue;
    log.warn({ uuid: inst.uuid, vmState: inst.vmState, taskState: inst.taskState }, 'recovering a task interrupted by a restart');
    await ops
      .serialize(inst.uuid, async () => {
        if (inst.vmState !== 'building') {
          await ops.update({ uuid: inst.uuid, taskState: null, expectedTaskState: [inst.taskState] });
          return;
        }
        await driver.destroy(inst.uuid).catch(() => undefined);
        await ops.update({
          uuid: inst.uuid,
          vmState: 'error',
          taskState: null,
          powerState: PowerState.NOSTATE,
          expectedTaskState: [inst.taskState],
          fault: { code: 500, message: `The build was interrupted: the compute service on ${host} restarted while it ran.` },
        });
      })
      .catch((e: unknown) => log.warn({ err: e, uuid: inst.uuid }, 'recovering an interrupted task failed'));
  }
}

/**
 * One pass: guests the conductor does not know are destroyed (deleted while
 * the agent was away); servers whose guest is not running are reported as
 * they are (SHUTDOWN → stopped), servers that should be stopped are stopped.
 * Servers with a task in flight or an operation queued here are left alone.
 */
export async function reconcileOnce(host: string, driver: ComputeDriver, ops: InstanceOperations, bus: Bus, log: Logger): Promise<void> {
  const { instances } = await bus.call<{ instances: InstanceSpec[] }>({ topic: CONDUCTOR_TOPIC }, 'instances_on_host', { host });
  const known = new Map(instances.map((i) => [i.uuid, i]));
  for (const guest of await driver.listInstances()) {
    if (known.has(guest.uuid) || ops.busy(guest.uuid)) continue;
    log.warn({ uuid: guest.uuid }, 'destroying a guest the conductor does not know');
    await ops.serialize(guest.uuid, () => driver.destroy(guest.uuid)).catch((e: unknown) => log.warn({ err: e }, 'orphan cleanup failed'));
  }
  for (const inst of instances) {
    if (inst.taskState !== null || ops.busy(inst.uuid) || !ON_HOST.has(inst.vmState)) continue;
    await ops
      .serialize(inst.uuid, async () => {
        const actual = await driver.powerState(inst.uuid);
        if (actual === PowerState.NOSTATE) {
          if (inst.powerState !== PowerState.NOSTATE)
            await ops.update({ uuid: inst.uuid, powerState: PowerState.NOSTATE, expectedTaskState: [null] });
          return;
        }
        if (inst.vmState === 'stopped' && actual !== PowerState.SHUTDOWN) {
          // The user stopped it: a guest running anyway is stopped again (Nova calls stop()).
          await driver.powerOff(inst.uuid, 0);
          await ops.update({ uuid: inst.uuid, powerState: PowerState.SHUTDOWN, expectedTaskState: [null] });
        } else if (actual === PowerState.SHUTDOWN || actual === PowerState.CRASHED) {
          if (inst.vmState !== 'stopped' || inst.powerState !== actual)
            await ops.update({ uuid: inst.uuid, vmState: 'stopped', powerState: actual, expectedTaskState: [null] });
        } else if (actual !== inst.powerState) {
          await ops.update({ uuid: inst.uuid, powerState: actual, expectedTaskState: [null] });
        }
      })
      .catch((e: unknown) => log.warn({ err: e, uuid: inst.uuid }, 'power state sync failed'));
  }
}
