/**
 * The agent against a conductor played by the test (an InProcessBus serving
 * `conductor`) and a stub HTTP server playing identity + placement + image.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startComputeAgent } from '../../src/agent/compute/compute-agent.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { ServiceSession } from '../../src/lib/clients/service-session.js';
import { loadConfig } from '../../src/lib/config/config.js';
import { createLogger } from '../../src/lib/log.js';
import { isAlive } from '../../src/agent/host/host-process.js';
import { createBlank } from '../../src/agent/host/qemu-img.js';
import type { QemuDriver } from '../../src/agent/compute/qemu/qemu-driver.js';
import { PowerState, type HostReport, type InstanceSpec, type InstanceUpdate } from '../../src/lib/rpc/compute-rpc.js';

const HOST = 'hv1';

function spec(uuid: string, over: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    uuid,
    name: 'instance-00000001',
    displayName: 'vm',
    hostname: 'vm',
    projectId: 'p',
    userId: 'u',
    flavor: { flavorId: '1', name: 'tiny', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} },
    image: {
      id: '0f0e0d0c-0000-4000-8000-00000000abcd',
      name: 'i',
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      size: 0,
      minDisk: 0,
      minRam: 0,
      properties: {},
    },
    keyName: null,
    keyData: null,
    userData: null,
    metadata: {},
    configDrive: false,
    availabilityZone: null,
    launchIndex: 0,
    vmState: 'building',
    taskState: 'scheduling',
    powerState: PowerState.NOSTATE,
    networks: [],
    ...over,
  };
}

async function body(req: IncomingMessage): Promise<unknown> {
  let s = '';
  for await (const c of req) s += String(c);
  return s ? JSON.parse(s) : undefined;
}

async function world(t: { after(fn: () => Promise<void> | void): void }, opts: { driver?: 'fake' | 'qemu'; image?: Buffer } = {}) {
  const providers = new Map<string, { name: string; generation: number; inventories?: Record<string, Record<string, number>> }>();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url!, 'http://x');
      const json = (status: number, b?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(b === undefined ? '' : JSON.stringify(b));
      };
      const b = (await body(req)) as Record<string, unknown> | undefined;
      if (req.method === 'POST' && url.pathname === '/identity/v3/auth/tokens') {
        const ep = (type: string) => ({ type, endpoints: [{ interface: 'public', url: `${base}/${type}` }] });
        return json(
          201,
          { token: { expires_at: new Date(Date.now() + 3600_000).toISOString(), catalog: [ep('placement'), ep('image')] } },
          { 'x-subject-token': 'tok' },
        );
      }
      if (req.headers['x-auth-token'] !== 'tok') return json(401, {});
      if (req.method === 'POST' && url.pathname === '/placement/resource_providers') {
        const { uuid, name } = b as { uuid: string; name: string };
        if ([...providers.values()].some((p) => p.name === name)) return json(409, { errors: [{ status: 409 }] });
        providers.set(uuid, { name, generation: 0 });
        return json(200, { uuid, name, generation: 0 });
      }
      const m = /^\/placement\/resource_providers\/([^/]+)(\/inventories|\/traits)?$/.exec(url.pathname);
      const rp = m ? providers.get(m[1]!) : undefined;
      if (m && rp && req.method === 'GET' && !m[2]) return json(200, { uuid: m[1], name: rp.name, generation: rp.generation });
      if (m && rp && req.method === 'PUT') {
        if ((b as { resource_provider_generation: number }).resource_provider_generation !== rp.generation) return json(409, {});
        rp.generation++;
        if (m[2] === '/inventories') rp.inventories = (b as { inventories: Record<string, Record<string, number>> }).inventories;
        return json(200, { resource_provider_generation: rp.generation });
      }
      if (req.method === 'GET' && /^\/image\/v2\/images\/[^/]+\/file$/.test(url.pathname) && opts.image) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(opts.image);
      }
      return json(404, {});
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'agent-'));
  const bus = new InProcessBus();
  const heartbeats: HostReport[] = [];
  const updates: InstanceUpdate[] = [];
  const reschedules: unknown[] = [];
  const conductorState = { instances: [] as InstanceSpec[], apply: true };
  await bus.serve(
    { topic: 'conductor' },
    {
      service_heartbeat: (a) => {
        heartbeats.push(a as unknown as HostReport);
        return { disabled: false, forcedDown: false };
      },
      instance_update: (a) => {
        updates.push(a as unknown as InstanceUpdate);
        return { applied: conductorState.apply };
      },
      reschedule: (a) => void reschedules.push(a),
      instances_on_host: () => ({ instances: conductorState.instances }),
    },
  );
  const config = loadConfig({
    env: {
      KUMO_DATA_DIR: dir,
      KUMO_AGENT_HOST: HOST,
      KUMO_AGENT_DRIVER: opts.driver ?? 'fake',
      KUMO_AGENT_FAKE_VCPUS: '8',
      KUMO_AGENT_RESERVED_HOST_MEMORY_MB: '512',
      KUMO_AGENT_RESERVED_HOST_DISK_MB: '1500',
    },
  });
  const session = new ServiceSession({
    authUrl: `${base}/identity/v3`,
    username: 'kumo-service',
    password: 'x',
    projectName: 'service',
    userDomainName: 'Default',
    projectDomainName: 'Default',
  });
  const logger = createLogger({ level: 'silent' });
  const closers: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const c of closers.reverse()) await c();
    await bus.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { bus, config, session, logger, providers, heartbeats, updates, reschedules, conductorState, dir, closers };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('agent: registers its provider, heartbeats, builds and operates servers (fake driver)', async (t) => {
  const w = await world(t);
  const agent = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  w.closers.push(() => agent.close());

  const rp = w.providers.get(agent.providerUuid)!;
  assert.equal(rp.name, HOST);
  assert.equal(rp.inventories!.VCPU!.total, 8);
  assert.equal(rp.inventories!.VCPU!.allocation_ratio, w.config.agent.cpuAllocationRatio);
  assert.equal(rp.inventories!.MEMORY_MB!.reserved, 512);
  assert.equal(rp.inventories!.DISK_GB!.reserved, 2);
  assert.equal((await readFile(join(w.config.agent.instancesDir, 'provider-uuid'), 'utf8')).trim(), agent.providerUuid);
  assert.equal(w.heartbeats[0]!.providerUuid, agent.providerUuid);
  assert.equal(w.heartbeats[0]!.hypervisorType, 'fake');
  assert.equal(w.heartbeats[0]!.binary, 'nova-compute');

  const uuid = 'aaaaaaaa-0000-4000-8000-000000000001';
  await w.bus.cast({ topic: 'compute', server: HOST }, 'build_and_run_instance', {
    instance: spec(uuid),
    requestId: 'req-1',
    attempt: 1,
  } as never);
  await until(() => w.updates.some((u) => u.vmState === 'active'));
  const done = w.updates.find((u) => u.vmState === 'active')!;
  assert.equal(done.powerState, PowerState.RUNNING);
  assert.equal(done.taskState, null);
  assert.equal(done.host, HOST);
  assert.deepEqual(done.actionEvent, { requestId: 'req-1', event: 'compute_build_and_run_instance', result: 'Success' });

  const active = spec(uuid, { vmState: 'active', taskState: 'powering-off', powerState: PowerState.RUNNING });
  await w.bus.cast({ topic: 'compute', server: HOST }, 'stop_instance', { instance: active, requestId: 'req-2' } as never);
  await until(() => w.updates.some((u) => u.actionEvent?.requestId === 'req-2'));
  const stop = w.updates.find((u) => u.actionEvent?.requestId === 'req-2')!;
  assert.equal(stop.vmState, 'stopped');
  assert.equal(stop.powerState, PowerState.SHUTDOWN);
  assert.deepEqual(stop.expectedTaskState, ['powering-off']);

  const out = await w.bus.call<{ output: string }>({ topic: 'compute', server: HOST }, 'get_console_output', {
    instance: active,
    requestId: 'r',
    length: null,
  } as never);
  assert.match(out.output, /fake/i);
  await assert.rejects(
    w.bus.call({ topic: 'compute', server: HOST }, 'get_vnc_console', {
      instance: spec('bbbbbbbb-0000-4000-8000-000000000009'),
      requestId: 'r',
    } as never),
    /could not be found/,
  );

  // Reconciliation: the conductor no longer knows the server → the guest goes.
  w.conductorState.instances = [];
  await agent.reconcile();
  assert.deepEqual(await agent.driver.listInstances(), []);
});

test('agent: a failed build is cleaned up and rescheduled; a deleted-meanwhile build is destroyed', async (t) => {
  const w = await world(t);
  const agent = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  w.closers.push(() => agent.close());
  const failing = 'cccccccc-0000-4000-8000-000000000001';
  const orig = agent.driver.spawn.bind(agent.driver);
  agent.driver.spawn = async (i) => {
    if (i.uuid === failing) throw new Error('disk full');
    return orig(i);
  };
  await w.bus.cast({ topic: 'compute', server: HOST }, 'build_and_run_instance', {
    instance: spec(failing),
    requestId: 'req-f',
    attempt: 1,
  } as never);
  await until(() => w.reschedules.length === 1);
  assert.deepEqual(w.reschedules[0], { uuid: failing, host: HOST, reason: 'disk full', requestId: 'req-f' });
  assert.deepEqual(await agent.driver.listInstances(), []);

  // The conductor refuses the claim (server deleted): nothing is built.
  w.conductorState.apply = false;
  const gone = 'dddddddd-0000-4000-8000-000000000001';
  await w.bus.cast({ topic: 'compute', server: HOST }, 'build_and_run_instance', {
    instance: spec(gone),
    requestId: 'req-g',
    attempt: 1,
  } as never);
  await until(() => w.updates.some((u) => u.uuid === gone));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await agent.driver.listInstances(), []);
});

test('agent: after a restart, a guest that is not running is reported stopped; the provider UUID is stable', async (t) => {
  const w = await world(t);
  const first = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  const uuid = 'eeeeeeee-0000-4000-8000-000000000001';
  await w.bus.cast({ topic: 'compute', server: HOST }, 'build_and_run_instance', {
    instance: spec(uuid),
    requestId: 'req-1',
    attempt: 1,
  } as never);
  await until(() => w.updates.some((u) => u.vmState === 'active'));
  // The guest dies while the agent is away (fake: powered off behind its back).
  await first.driver.powerOff(uuid, 0);
  const providerUuid = first.providerUuid;
  await first.close();

  w.conductorState.instances = [spec(uuid, { vmState: 'active', taskState: null, powerState: PowerState.RUNNING })];
  w.updates.length = 0;
  const second = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  w.closers.push(() => second.close());
  assert.equal(second.providerUuid, providerUuid);
  await second.reconcile();
  const sync = w.updates.find((u) => u.uuid === uuid)!;
  assert.equal(sync.vmState, 'stopped');
  assert.equal(sync.powerState, PowerState.SHUTDOWN);
  assert.deepEqual(sync.expectedTaskState, [null]);
});

test('agent: at start, an interrupted build goes to ERROR with its guest removed, other interrupted tasks are cleared', async (t) => {
  const w = await world(t);
  const building = 'abababab-0000-4000-8000-000000000001';
  const stopping = 'abababab-0000-4000-8000-000000000002';
  // A previous agent had half-built one guest and was stopping another when its process ended.
  const first = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  await first.driver.spawn(spec(building));
  await first.driver.spawn(spec(stopping));
  await first.close();
  w.conductorState.instances = [
    spec(building, { vmState: 'building', taskState: 'spawning' }),
    spec(stopping, { vmState: 'active', taskState: 'powering-off', powerState: PowerState.RUNNING }),
  ];
  w.updates.length = 0;
  const second = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
  w.closers.push(() => second.close());
  await until(() => w.updates.some((u) => u.uuid === building) && w.updates.some((u) => u.uuid === stopping));
  const failed = w.updates.find((u) => u.uuid === building)!;
  assert.equal(failed.vmState, 'error');
  assert.equal(failed.taskState, null);
  assert.deepEqual(failed.expectedTaskState, ['spawning']);
  assert.match(failed.fault?.message ?? '', /interrupted/);
  const cleared = w.updates.find((u) => u.uuid === stopping)!;
  assert.equal(cleared.taskState, null);
  assert.equal(cleared.vmState, undefined);
  assert.deepEqual(cleared.expectedTaskState, ['powering-off']);
  assert.deepEqual(
    (await second.driver.listInstances()).map((g) => g.uuid),
    [stopping],
  );
});

test(
  'agent with the QEMU driver: builds from an image download, shows the console, terminates without leftovers',
  { timeout: 120_000 },
  async (t) => {
    const tmp = await mkdtemp(join(tmpdir(), 'agent-img-'));
    t.after(() => rm(tmp, { recursive: true, force: true }));
    await createBlank(join(tmp, 'blank.qcow2'), 16 * 1024 * 1024);
    const w = await world(t, { driver: 'qemu', image: await readFile(join(tmp, 'blank.qcow2')) });
    const agent = await startComputeAgent(w.config, { logger: w.logger, bus: w.bus, session: w.session });
    const pids = new Set<number>();
    w.closers.push(async () => {
      for (const pid of [...pids, ...(agent.driver as QemuDriver).pids().values()]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await agent.close();
    });
    assert.equal(w.heartbeats[0]!.hypervisorType, 'QEMU');
    const uuid = 'ffffffff-0000-4000-8000-000000000001';
    await w.bus.cast({ topic: 'compute', server: HOST }, 'build_and_run_instance', {
      instance: spec(uuid),
      requestId: 'req-q',
      attempt: 1,
    } as never);
    await until(() => w.updates.some((u) => u.vmState === 'active' || u.actionEvent?.result === 'Error'), 60_000);
    assert.ok(
      w.updates.some((u) => u.vmState === 'active'),
      JSON.stringify(w.updates),
    );
    const pid = (agent.driver as QemuDriver).pids().get(uuid)!;
    pids.add(pid);
    const active = spec(uuid, { vmState: 'active', taskState: null, powerState: PowerState.RUNNING });
    let output = '';
    const end = Date.now() + 60_000;
    while (!/No bootable device|Booting from Hard Disk/.test(output) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      output = (
        await w.bus.call<{ output: string }>({ topic: 'compute', server: HOST }, 'get_console_output', {
          instance: active,
          requestId: 'r',
          length: null,
        } as never)
      ).output;
    }
    assert.match(output, /SeaBIOS/);
    const vnc = await w.bus.call<{ host: string; port: number }>({ topic: 'compute', server: HOST }, 'get_vnc_console', {
      instance: active,
      requestId: 'r',
    } as never);
    assert.equal(vnc.host, w.config.agent.vncListen);
    await w.bus.cast({ topic: 'compute', server: HOST }, 'terminate_instance', { instance: active, requestId: 'req-d' } as never);
    await until(() => w.updates.some((u) => u.actionEvent?.event === 'compute_terminate_instance'), 30_000);
    assert.equal(await isAlive(pid, uuid), false);
    assert.deepEqual(await agent.driver.listInstances(), []);
  },
);
