/**
 * A compute API with the servers part wired to fakes: resources, placement,
 * image service, and an agent on an in-process bus that answers like the
 * fake driver. Lets the servers/conductor tests run without the other parts.
 */
import { ServerNetworks } from '../../src/compute/domain/server-network.js';
import type { ServiceClient } from '../../src/lib/clients/service-client.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { registerMicroversions } from '../../src/compute/api/microversion.js';
import { registerServerRoutes } from '../../src/compute/api/server-routes.js';
import type { ComputeCaller } from '../../src/compute/domain/caller.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import type { ComputeHost, Flavor, Keypair, ResourceServices, ServerGroup } from '../../src/compute/domain/resource-services.js';
import type { PlacementApi } from '../../src/compute/domain/scheduler.js';
import type { GlanceImage, ServerImageClient } from '../../src/compute/domain/server-image-client.js';
import { createServerServices, type ServerServices } from '../../src/compute/domain/server-services.js';
import { servers as serversMigration } from '../../src/compute/store/migrations/0002-servers.js';
import { networkInfo as networkInfoMigration } from '../../src/compute/store/migrations/0005-network-info.js';
import { serverPassword as serverPasswordMigration } from '../../src/compute/store/migrations/0006-server-password.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import type { ServiceSession } from '../../src/lib/clients/service-session.js';
import { propertiesOf, type ImageProxyClient } from '../../src/compute/domain/image-proxy.js';
import { loadConfig, type ComputeConfig } from '../../src/lib/config/config.js';
import { openDatabase, type Database } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { KumoError, badRequest, notFound, unauthorized } from '../../src/lib/errors.js';
import { createServiceApp } from '../../src/lib/http/app.js';
import type { AuthContext } from '../../src/lib/http/auth-context.js';
import { Metrics } from '../../src/lib/http/metrics.js';
import { createLogger, type Logger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { CONDUCTOR_TOPIC, PowerState, type InstanceMessage, type InstanceUpdate, type VmState } from '../../src/lib/rpc/compute-rpc.js';

export const IMAGE_ID = '70a599e0-31e7-49b7-b260-868f441e862b';
export const QUEUED_IMAGE_ID = '11111111-2222-4333-8444-555555555555';

export const silentLogger = (): Logger => createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

export function computeConfig(over: Partial<ComputeConfig> = {}): ComputeConfig {
  return { ...loadConfig({ env: {} }).compute, ...over };
}

export async function openServersDatabase(dir: string): Promise<Database<ComputeDB>> {
  const database = await openDatabase<ComputeDB>(`sqlite:${join(dir, 'compute.db')}`);
  await migrateToLatest(database.db as never, 'compute', {
    '0002_servers': serversMigration,
    '0005_network_info': networkInfoMigration,
    '0006_server_password': serverPasswordMigration,
  });
  return database;
}

const flavor = (id: string, vcpus: number, memoryMb: number, rootGb: number): Flavor => ({
  id,
  name: `f-${id}`,
  vcpus,
  memoryMb,
  rootGb,
  ephemeralGb: 0,
  swapMb: 0,
  rxtxFactor: 1,
  isPublic: true,
  disabled: false,
  description: null,
  extraSpecs: {},
});

/** The resources contract over maps. */
export class FakeResources implements ResourceServices {
  flavorMap = new Map<string, Flavor>([
    ['1', flavor('1', 1, 512, 1)],
    ['2', flavor('2', 2, 1024, 2)],
    ['huge', flavor('huge', 64, 1_000_000, 20)],
  ]);
  keys = new Map<string, Keypair>();
  instanceLimit = 10;
  used = new Map<string, number>();
  metadataLimit = 128;
  groups = new Map<string, ServerGroup>();
  hostList: ComputeHost[] = [{ host: 'host-1', node: 'host-1', providerUuid: 'rp-1', availabilityZone: 'nova', enabled: true, up: true }];

  flavors = {
    getForCaller: async (_c: ComputeCaller, id: string) => {
      const f = this.flavorMap.get(id);
      if (!f) throw notFound(`Flavor ${id} could not be found.`, 'flavor_not_found');
      return f;
    },
    getAny: async (id: string) => this.flavorMap.get(id),
  };
  keypairs = {
    get: async (userId: string, name: string) => {
      const k = this.keys.get(`${userId}/${name}`);
      if (!k) throw notFound(`Keypair ${name} not found for user ${userId}`, 'keypair_not_found');
      return k;
    },
  };
  quotas = {
    checkServers: async (projectId: string, _u: string, d: { instances: number }) => {
      const used = this.used.get(projectId) ?? 0;
      if (used + d.instances > this.instanceLimit) {
        throw new KumoError(
          'quota_exceeded',
          403,
          `Quota exceeded for instances: Requested ${d.instances}, but already used ${used} of ${this.instanceLimit} instances`,
        );
      }
      this.used.set(projectId, used + d.instances);
    },
    metadataItemsLimit: async () => this.metadataLimit,
  };
  serverGroups = {
    get: async (_c: ComputeCaller, id: string) => {
      const g = this.groups.get(id);
      if (!g) throw notFound(`Instance group ${id} could not be found.`);
      return g;
    },
    groupOf: async (uuid: string) => [...this.groups.values()].find((g) => g.members.includes(uuid)),
    addMembers: async (id: string, uuids: string[]) => void this.groups.get(id)?.members.push(...uuids),
    removeMember: async (uuid: string) => {
      for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== uuid);
    },
  };
  hosts = {
    heartbeat: async () => ({ disabled: false, forcedDown: false }),
    computeHosts: async () => this.hostList,
  };
}

/** Placement's allocation candidates and allocations for providers with fixed inventories. */
export class FakePlacement implements PlacementApi {
  inventory = new Map<string, Record<string, number>>([['rp-1', { VCPU: 16, MEMORY_MB: 16384, DISK_GB: 200 }]]);
  allocations = new Map<string, { rp: string; resources: Record<string, number> }>();
  /** Claims to refuse with 409 (consumer uuids), once each. */
  conflictOnce = new Set<string>();
  calls: string[] = [];

  used(rp: string, rc: string): number {
    let n = 0;
    for (const a of this.allocations.values()) if (a.rp === rp) n += a.resources[rc] ?? 0;
    return n;
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; expect?: number[] } = {}): Promise<{ status: number; body: T }> {
    this.calls.push(`${method} ${path}`);
    if (method === 'GET' && path.startsWith('/allocation_candidates')) {
      const want = Object.fromEntries(
        new URLSearchParams(path.split('?')[1])
          .get('resources')!
          .split(',')
          .map((p) => [p.split(':')[0]!, Number(p.split(':')[1])]),
      );
      const requests = [];
      const summaries: Record<string, unknown> = {};
      for (const [rp, inv] of this.inventory) {
        if (!Object.entries(want).every(([rc, n]) => (inv[rc] ?? 0) - this.used(rp, rc) >= n)) continue;
        requests.push({ allocations: { [rp]: { resources: want } } });
        summaries[rp] = {
          resources: Object.fromEntries(Object.entries(inv).map(([rc, c]) => [rc, { capacity: c, used: this.used(rp, rc) }])),
        };
      }
      return { status: 200, body: { allocation_requests: requests, provider_summaries: summaries } as T };
    }
    const consumer = path.split('/')[2]!;
    if (method === 'GET') {
      const a = this.allocations.get(consumer);
      const allocations = a ? { [a.rp]: { resources: a.resources } } : {};
      return { status: 200, body: { allocations, consumer_generation: a ? 1 : null } as T };
    }
    if (method === 'PUT') {
      if (this.conflictOnce.delete(consumer)) return { status: 409, body: undefined as T };
      const allocs = (opts.body as { allocations: Record<string, { resources: Record<string, number> }> }).allocations;
      const [rp, a] = Object.entries(allocs)[0]!;
      const mine = this.allocations.get(consumer);
      const inv = this.inventory.get(rp) ?? {};
      const fits = Object.entries(a.resources).every(
        ([rc, n]) => (inv[rc] ?? 0) - this.used(rp, rc) + (mine?.rp === rp ? (mine.resources[rc] ?? 0) : 0) >= n,
      );
      if (!fits) return { status: 409, body: undefined as T };
      this.allocations.set(consumer, { rp, resources: a.resources });
      return { status: 204, body: undefined as T };
    }
    if (method === 'DELETE') {
      const had = this.allocations.delete(consumer);
      return { status: had ? 204 : 404, body: undefined as T };
    }
    throw new Error(`unexpected placement call ${method} ${path}`);
  }
}

export class FakeImages implements ServerImageClient {
  images = new Map<string, GlanceImage>([
    [
      IMAGE_ID,
      {
        id: IMAGE_ID,
        name: 'cirros',
        status: 'active',
        disk_format: 'qcow2',
        container_format: 'bare',
        size: 1024,
        min_disk: 0,
        min_ram: 0,
        hw_disk_bus: 'virtio',
      },
    ],
    [
      QUEUED_IMAGE_ID,
      {
        id: QUEUED_IMAGE_ID,
        name: 'queued',
        status: 'queued',
        disk_format: null,
        container_format: null,
        size: null,
        min_disk: 0,
        min_ram: 0,
      },
    ],
  ]);
  snapshots: Record<string, unknown>[] = [];
  async get(_t: string, id: string) {
    const i = this.images.get(id);
    if (!i) throw badRequest(`Image ${id} could not be found.`, 'image_not_found');
    return i;
  }
  async createSnapshot(_t: string, body: Record<string, unknown>) {
    this.snapshots.push(body);
    const id = crypto.randomUUID();
    const image: GlanceImage = {
      ...body,
      id,
      name: String(body.name),
      status: 'queued',
      disk_format: null,
      container_format: null,
      size: null,
      min_disk: 0,
      min_ram: 0,
    };
    this.images.set(id, image);
    return image;
  }
  endpoint = async () => 'http://image.example:9292';
  async list(_t: string, filters: Record<string, string>) {
    return [...this.images.values()].filter((i) => Object.entries(filters).every(([k, v]) => i[k] === v)).reverse();
  }
  async delete(_t: string, id: string) {
    this.images.delete(id);
  }
}

/** Nova's image proxy over the same fake Glance (the caller sees every image). */
export function imageProxyOf(images: FakeImages): ImageProxyClient {
  return {
    listAll: async () => [...images.images.values()].reverse(),
    find: async (_t, id) => images.images.get(id) ?? null,
    delete: async (_t, id) => (images.images.delete(id) ? 'deleted' : 'gone'),
    setProperties: async (_t, image, properties) => {
      const base = Object.fromEntries(Object.entries(image).filter(([k]) => !(k in propertiesOf(image))));
      const next = { ...base, ...properties } as GlanceImage;
      images.images.set(image.id, next);
      return next;
    },
  };
}

/** What the fake agent does on each cast: the state it reports at the end. */
const AGENT_RESULTS: Record<string, { vmState: VmState; powerState: number }> = {
  build_and_run_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  stop_instance: { vmState: 'stopped', powerState: PowerState.SHUTDOWN },
  start_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  reboot_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  pause_instance: { vmState: 'paused', powerState: PowerState.PAUSED },
  unpause_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  suspend_instance: { vmState: 'suspended', powerState: PowerState.SUSPENDED },
  resume_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  rebuild_instance: { vmState: 'active', powerState: PowerState.RUNNING },
  resize_instance: { vmState: 'resized', powerState: PowerState.RUNNING },
  revert_resize: { vmState: 'active', powerState: PowerState.RUNNING },
  snapshot_instance: { vmState: 'active', powerState: PowerState.RUNNING },
};

/** An agent for `host` that finishes every task at once (as the fake driver), or fails builds when told. */
export class FakeAgent {
  received: { method: string; args: InstanceMessage & Record<string, unknown> }[] = [];
  /** Builds to refuse with a reschedule. */
  failBuilds = false;
  /** Do nothing on casts (tasks stay in progress). */
  silent = false;

  constructor(
    readonly bus: InProcessBus,
    readonly host: string,
  ) {}

  async start(): Promise<void> {
    const handlers: Record<string, (a: Record<string, unknown>) => Promise<unknown>> = {};
    for (const method of [...Object.keys(AGENT_RESULTS), 'terminate_instance', 'confirm_resize']) {
      handlers[method] = async (a) => {
        const args = a as InstanceMessage & Record<string, unknown>;
        this.received.push({ method, args });
        if (this.silent || !AGENT_RESULTS[method]) return;
        if (method === 'build_and_run_instance' && this.failBuilds) {
          await this.bus.cast({ topic: CONDUCTOR_TOPIC }, 'reschedule', {
            uuid: args.instance.uuid,
            host: this.host,
            reason: 'boom',
            requestId: args.requestId,
          });
          return;
        }
        const r = AGENT_RESULTS[method]!;
        const update: InstanceUpdate = {
          uuid: args.instance.uuid,
          vmState: r.vmState,
          taskState: null,
          powerState: r.powerState as never,
          expectedTaskState: [args.instance.taskState],
          actionEvent: { requestId: args.requestId, event: `compute_${method}`, result: 'Success' },
        };
        if (method === 'build_and_run_instance') update.launchedAt = new Date().toISOString();
        if (method === 'resize_instance' || method === 'revert_resize') update.flavorId = (args.newFlavor as { flavorId: string }).flavorId;
        await this.bus.call({ topic: CONDUCTOR_TOPIC }, 'instance_update', update as never);
      };
    }
    handlers.get_console_output = async () => ({ output: 'line1\nline2\n' });
    await this.bus.serve({ topic: 'compute', server: this.host }, handlers);
  }
}

const auth = (token: string, userId: string, projectId: string, roles: string[]): AuthContext => ({
  token,
  userId,
  userName: userId,
  userDomainId: 'default',
  userDomainName: 'Default',
  projectId,
  projectName: projectId,
  projectDomainId: 'default',
  projectDomainName: 'Default',
  roles: roles.map((r) => ({ id: r, name: r })),
  methods: ['password'],
  auditIds: [],
  expiresAt: new Date(Date.now() + 3600_000),
  issuedAt: new Date(),
  isAdminProject: false,
});

export const TOKENS: Record<string, AuthContext> = {
  admin: auth('admin', 'u-admin', 'p-admin', ['admin', 'member', 'reader']),
  alice: auth('alice', 'u-alice', 'p1', ['member', 'reader']),
  bob: auth('bob', 'u-bob', 'p2', ['member', 'reader']),
};

export interface ServersHarness {
  app: FastifyInstance;
  services: ServerServices;
  resources: FakeResources;
  placement: FakePlacement;
  images: FakeImages;
  agent: FakeAgent;
  bus: InProcessBus;
  database: Database<ComputeDB>;
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; mv?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Polls a server until `pred` holds (or fails after 3 s). */
  waitFor(id: string, pred: (s: any) => boolean, token?: string): Promise<any>;
  close(): Promise<void>;
}

export async function startServersHarness(config: Partial<ComputeConfig> = {}): Promise<ServersHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kumo-servers-'));
  const database = await openServersDatabase(dir);
  const bus = new InProcessBus();
  const resources = new FakeResources();
  const placement = new FakePlacement();
  const images = new FakeImages();
  const policy = new PolicyEngine(COMPUTE_POLICY);
  const services = createServerServices({
    config: computeConfig(config),
    db: database.db,
    policy,
    log: silentLogger(),
    bus,
    session: {} as ServiceSession,
    resources,
    placement,
    images,
    imageProxy: imageProxyOf(images),
    networks: withoutNetworkService(),
  });
  await services.start();
  const agent = new FakeAgent(bus, 'host-1');
  await agent.start();
  const app = createServiceApp({
    name: 'compute',
    faultStyle: 'nova',
    logger: silentLogger(),
    metrics: new Metrics(),
    bodyLimit: 1 << 20,
    tokens: { validate: async (t) => TOKENS[t] ?? Promise.reject(unauthorized()) },
  });
  registerMicroversions(app);
  registerServerRoutes(app, services);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v2.1`;
  const call: ServersHarness['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'x-auth-token': opts.token ?? 'alice' };
    if (opts.mv) headers['openstack-api-version'] = `compute ${opts.mv}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
  };
  const waitFor: ServersHarness['waitFor'] = async (id, pred, token = 'admin') => {
    let last: any;
    for (let i = 0; i < 150; i++) {
      const r = await call('GET', `/servers/${id}`, { token });
      last = r.body?.server;
      if (r.status === 200 && pred(last)) return last;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error(`server ${id} never matched; last: ${JSON.stringify(last)}`);
  };
  return {
    app,
    services,
    resources,
    placement,
    images,
    agent,
    bus,
    database,
    call,
    waitFor,
    async close() {
      await app.close();
      await services.close();
      await bus.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Compute as deployed without a network service: the catalog has no network endpoint. */
export function withoutNetworkService(): ServerNetworks {
  const session = {
    endpoint: () => Promise.reject(new KumoError('endpoint_not_found', 503, 'No public endpoint of type network in the catalog.')),
  };
  return new ServerNetworks({ session } as unknown as ServiceClient);
}
