import type { FastifyInstance } from 'fastify';
import type { Bus } from '../lib/bus/bus.js';
import type { ServiceSession } from '../lib/clients/service-session.js';
import type { KumoConfig } from '../lib/config/config.js';
import { openMigratedDatabase } from '../lib/db/migrations.js';
import { createServiceApp } from '../lib/http/app.js';
import type { TokenValidator } from '../lib/http/auth-context.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { PolicyEngine } from '../lib/policy/policy-engine.js';
import { handleGetVncConsoleAction, registerConsoleRoutes } from './api/console-routes.js';
import { registerMicroversions } from './api/microversion.js';
import { startConsoleProxy, type ConsoleProxy } from './console/console-proxy.js';
import { ConsoleService } from './domain/console-service.js';
import { registerResourceRoutes } from './api/resource-routes.js';
import { registerServerRoutes } from './api/server-routes.js';
import { COMPUTE_POLICY } from './domain/policy-defaults.js';
import { createResourceServices, type ResourceServicesImpl } from './domain/resource-services-impl.js';
import { createServerServices, type ServerServices } from './domain/server-services.js';
import type { ComputeDatabase } from './store/compute-database.js';
import { computeMigrations } from './store/migrations/index.js';
import type { ComputeDB } from './store/schema.js';

/** A ready compute service: API, conductor and scheduler over one database. */
export interface ComputeServer {
  readonly app: FastifyInstance;
  readonly resources: ResourceServicesImpl;
  readonly servers: ServerServices;
  readonly consoles: ConsoleService;
  /** The noVNC console proxy (its own port, `compute.console_proxy_port`). */
  readonly consoleProxy: ConsoleProxy;
  readonly database: ComputeDatabase;
  close(): Promise<void>;
}

export interface ComputeServerDeps {
  logger: Logger;
  metrics: Metrics;
  tokens: TokenValidator;
  bus: Bus;
  /** Service-user session for placement and image calls. */
  session: ServiceSession;
}

export function openComputeDatabase(config: KumoConfig): Promise<ComputeDatabase> {
  return openMigratedDatabase<ComputeDB>(config.compute.databaseUrl, 'compute', computeMigrations);
}

export async function createComputeServer(config: KumoConfig, deps: ComputeServerDeps): Promise<ComputeServer> {
  const database = await openComputeDatabase(config);
  let servers: ServerServices | undefined;
  let proxy: ConsoleProxy | undefined;
  try {
    const policy = await PolicyEngine.fromFile(config.compute.policyFile || undefined, COMPUTE_POLICY);
    const log = deps.logger.child({ service: 'compute' });
    const resources = createResourceServices({ config: config.compute, db: database.db, policy, log });
    servers = createServerServices({
      config: config.compute,
      db: database.db,
      policy,
      log,
      bus: deps.bus,
      session: deps.session,
      resources,
    });
    const app = createServiceApp({
      name: 'compute',
      faultStyle: 'nova',
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: config.compute.bodyLimit,
      tokens: deps.tokens,
      healthy: () => database.ping(),
    });
    registerMicroversions(app);
    // Console URLs name the proxy, whose port is known only once it listens.
    let proxyBase = '';
    const consoles = new ConsoleService({
      db: database.db,
      bus: deps.bus,
      policy,
      targets: servers.consoleTargets,
      novncBaseUrl: () => proxyBase,
    });
    registerResourceRoutes(app, resources);
    registerServerRoutes(app, servers, {
      'os-getVNCConsole': (req, id, body) => handleGetVncConsoleAction(consoles, req, id, body),
    });
    registerConsoleRoutes(app, consoles);
    proxy = await startConsoleProxy({
      tokens: consoles,
      listenHost: config.host,
      port: config.compute.consoleProxyPort,
      publicHost: config.publicHost,
      logger: deps.logger,
    });
    proxyBase = proxy.novncBaseUrl;
    await servers.start();
    const s = servers;
    const p = proxy;
    return {
      app,
      resources,
      servers: s,
      consoles,
      consoleProxy: p,
      database,
      async close() {
        await app.close();
        await p.close();
        await s.close();
        await database.close();
      },
    };
  } catch (e) {
    await proxy?.close();
    await servers?.close();
    await database.close();
    throw e;
  }
}
