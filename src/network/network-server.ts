import type { FastifyInstance } from 'fastify';
import type { Bus } from '../lib/bus/bus.js';
import type { KumoConfig } from '../lib/config/config.js';
import type { Database } from '../lib/db/database.js';
import { openMigratedDatabase } from '../lib/db/migrations.js';
import { createServiceApp } from '../lib/http/app.js';
import type { TokenValidator } from '../lib/http/auth-context.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { PolicyEngine } from '../lib/policy/policy-engine.js';
import { registerAgentRoutes } from './api/agent-routes.js';
import { registerMiscRoutes } from './api/misc-routes.js';
import { registerNetworkRoutes } from './api/network-routes.js';
import { registerPortRoutes } from './api/port-routes.js';
import { registerRouterRoutes } from './api/router-routes.js';
import { registerSecurityGroupRoutes } from './api/security-group-routes.js';
import { createNetworkServices, type NetworkServices } from './domain/network-services.js';
import { NETWORK_POLICY } from './domain/policy-defaults.js';
import { serveNetworkRpc, type NetworkRpcServer } from './rpc/network-rpc-server.js';
import { networkMigrations } from './store/migrations/index.js';
import type { NetworkDB } from './store/schema.js';

/** A ready network service: API and the RPC agents pull their state from. */
export interface NetworkServer {
  readonly app: FastifyInstance;
  readonly services: NetworkServices;
  readonly database: Database<NetworkDB>;
  close(): Promise<void>;
}

export interface NetworkServerDeps {
  logger: Logger;
  metrics: Metrics;
  tokens: TokenValidator;
  bus: Bus;
}

/** Network bodies are small; bulk creates of a few hundred ports fit. */
const BODY_LIMIT = 1024 * 1024;

export function openNetworkDatabase(config: KumoConfig): Promise<Database<NetworkDB>> {
  return openMigratedDatabase<NetworkDB>(config.network.databaseUrl, 'network', networkMigrations);
}

export async function createNetworkServer(config: KumoConfig, deps: NetworkServerDeps): Promise<NetworkServer> {
  const database = await openNetworkDatabase(config);
  let rpc: NetworkRpcServer | undefined;
  try {
    const policy = await PolicyEngine.fromFile(config.network.policyFile || undefined, NETWORK_POLICY);
    let notify = (): void => undefined;
    let notifyServer = (_id: string): void => undefined;
    const services = createNetworkServices({
      db: database.db,
      config: config.network,
      policy,
      changed: () => notify(),
      serverPortsChanged: (id) => notifyServer(id),
    });
    rpc = await serveNetworkRpc(deps.bus, services, deps.logger.child({ service: 'network' }));
    notify = rpc.notifyChanged;
    notifyServer = rpc.notifyServer;
    const app = createServiceApp({
      name: 'network',
      faultStyle: 'neutron',
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: BODY_LIMIT,
      tokens: deps.tokens,
      healthy: () => database.ping(),
      // Neutron serves every path also with a `.json` suffix (`/v2.0/ports.json`), which older clients and Tempest use.
      rewriteUrl: (url) => url.replace(/\.json(?=\?|$)/, ''),
    });
    registerMiscRoutes(app, services);
    registerAgentRoutes(app, services);
    registerNetworkRoutes(app, services);
    registerPortRoutes(app, services);
    registerSecurityGroupRoutes(app, services);
    registerRouterRoutes(app, services);
    const r = rpc;
    return {
      app,
      services,
      database,
      async close() {
        await app.close();
        await r.close();
        await database.close();
      },
    };
  } catch (e) {
    await rpc?.close();
    await database.close();
    throw e;
  }
}
