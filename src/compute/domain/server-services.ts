import type { Bus } from '../../lib/bus/bus.js';
import { ServiceClient } from '../../lib/clients/service-client.js';
import type { ServiceSession } from '../../lib/clients/service-session.js';
import type { ComputeConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { ServerStore } from '../store/server-store.js';
import type { ComputeCaller } from './caller.js';
import { Conductor } from './conductor.js';
import type { ConsoleTarget, ConsoleTargets } from './console-targets.js';
import { ImageProxyService, createImageProxyClient, type ImageProxyClient } from './image-proxy.js';
import { instanceSpecOf } from './instance-spec.js';
import type { ResourceServices } from './resource-services.js';
import { Scheduler, type PlacementApi } from './scheduler.js';
import { ServerActions } from './server-actions.js';
import { createServerImageClient, type ServerImageClient } from './server-image-client.js';
import { FloatingIpProxy } from './floating-ip-proxy.js';
import { SecurityGroupProxy } from './security-group-proxy.js';
import { ServerInterfaces } from './server-interfaces.js';
import { ServerNetworks } from './server-network.js';
import { ServerService } from './server-service.js';

export interface ServerServicesDeps {
  config: ComputeConfig;
  db: ComputeKysely;
  policy: PolicyEngine;
  log: Logger;
  bus: Bus;
  /** Service-user session: placement and image calls of the conductor. */
  session: ServiceSession;
  resources: ResourceServices;
  /** Overrides for tests. */
  placement?: PlacementApi;
  images?: ServerImageClient;
  imageProxy?: ImageProxyClient;
  networks?: ServerNetworks;
}

/** Servers, their actions and the conductor. */
export interface ServerServices {
  readonly policy: PolicyEngine;
  readonly servers: ServerService;
  readonly actions: ServerActions;
  readonly conductor: Conductor;
  /** Nova's /images proxy over the image service. */
  readonly imageProxy: ImageProxyService;
  /** Server lookups for the console API. */
  readonly consoleTargets: ConsoleTargets;
  /** Nova's security group proxy over the network service. */
  readonly securityGroups: SecurityGroupProxy;
  /** Nova's floating IP and tenant network proxies over the network service. */
  readonly floatingIps: FloatingIpProxy;
  /** Interface attach/detach and added/removed fixed IPs. */
  readonly interfaces: ServerInterfaces;
  /** Starts serving the conductor topic and the build watchdog. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createServerServices(deps: ServerServicesDeps): ServerServices {
  const store = new ServerStore(deps.db);
  const placement = deps.placement ?? new ServiceClient(deps.session, 'placement', { microversion: '1.36' });
  const images = deps.images ?? createServerImageClient(deps.session);
  const imageProxy = new ImageProxyService(deps.imageProxy ?? createImageProxyClient(deps.session));
  const groupHosts = async (uuids: string[]) => {
    const rows = await store.list({ uuids, deleted: 'no', sort: [{ key: 'uuid', dir: 'asc' }] });
    return rows.map((r) => r.host).filter((h): h is string => !!h);
  };
  const scheduler = new Scheduler(placement, deps.resources, groupHosts);
  const neutron = new ServiceClient(deps.session, 'network');
  const networks = deps.networks ?? new ServerNetworks(neutron);
  const servers = new ServerService({
    config: deps.config,
    store,
    resources: deps.resources,
    images,
    scheduler,
    networks,
    bus: deps.bus,
    log: deps.log,
  });
  const actions = new ServerActions(servers);
  const conductor = new Conductor({
    config: deps.config,
    store,
    scheduler,
    networks,
    resources: deps.resources,
    bus: deps.bus,
    log: deps.log,
  });
  const consoleTargets: ConsoleTargets = {
    async resolve(caller: ComputeCaller, serverId: string): Promise<ConsoleTarget> {
      const rec = await servers.get(caller, serverId);
      return { uuid: rec.row.uuid, host: rec.row.host, status: rec.row.status, instance: instanceSpecOf(rec.row, rec.metadata) };
    },
  };
  return {
    policy: deps.policy,
    servers,
    actions,
    conductor,
    imageProxy,
    consoleTargets,
    securityGroups: new SecurityGroupProxy(neutron),
    floatingIps: new FloatingIpProxy(neutron),
    interfaces: new ServerInterfaces(servers),
    start: () => conductor.start(),
    close: () => conductor.close(),
  };
}
