import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { ResourceStore, type NetworkKysely } from '../store/resource-store.js';
import { AgentService } from './agent-service.js';
import { SubnetPoolService } from './subnet-pool-service.js';
import { FloatingIpService } from './floating-ip-service.js';
import { parseNetworkSettings, type NetworkContext, type NetworkSettings } from './network-context.js';
import { NetworkService } from './network-service.js';
import { PortService } from './port-service.js';
import { NetworkQuotaService } from './quota-service.js';
import { RouterService } from './router-service.js';
import { SecurityGroupService } from './security-group-service.js';
import { SubnetService } from './subnet-service.js';
import type { NetworkConfig } from '../../lib/config/config.js';

/** Every domain service of the network API, wired once. */
export interface NetworkServices {
  policy: PolicyEngine;
  settings: NetworkSettings;
  context: NetworkContext;
  store: ResourceStore;
  agents: AgentService;
  quotas: NetworkQuotaService;
  networks: NetworkService;
  subnets: SubnetService;
  ports: PortService;
  groups: SecurityGroupService;
  routers: RouterService;
  floatingIps: FloatingIpService;
  subnetPools: SubnetPoolService;
}

export function createNetworkServices(opts: {
  db: NetworkKysely;
  config: NetworkConfig;
  policy: PolicyEngine;
  changed: () => void;
  serverPortsChanged?: (serverId: string) => void;
}): NetworkServices {
  const store = new ResourceStore(opts.db);
  const settings = parseNetworkSettings(opts.config);
  const ctx: NetworkContext = { store, settings, changed: opts.changed, serverPortsChanged: opts.serverPortsChanged ?? (() => undefined) };
  const quotas = new NetworkQuotaService(ctx);
  const networks = new NetworkService(ctx, quotas);
  const subnetPools = new SubnetPoolService(ctx, quotas);
  const subnets = new SubnetService(ctx, networks, quotas, subnetPools);
  const groups = new SecurityGroupService(ctx, quotas);
  const ports = new PortService(ctx, networks, groups, quotas);
  subnets.dhcp = ports;
  const routers = new RouterService(ctx, ports, quotas);
  const floatingIps = new FloatingIpService(ctx, ports, quotas);
  const agents = new AgentService(ctx);
  return {
    policy: opts.policy,
    settings,
    context: ctx,
    agents,
    store,
    quotas,
    networks,
    subnets,
    subnetPools,
    ports,
    groups,
    routers,
    floatingIps,
  };
}
