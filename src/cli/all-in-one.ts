import { existsSync, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { KumoConfig } from '../lib/config/config.js';
import { newSecret } from '../lib/ids.js';
import { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { createImageServer, type ImageServer } from '../image/image-server.js';
import { startComputeAgent } from '../agent/compute/compute-agent.js';
import { createComputeServer } from '../compute/compute-server.js';
import { createNetworkServer } from '../network/network-server.js';
import { createDashboardServer, dashboardBuilt } from '../dashboard/dashboard-server.js';
import { openBus } from '../lib/bus/index.js';
import { ServiceSession } from '../lib/clients/service-session.js';
import { createPlacementServer } from '../placement/placement-server.js';
import { bootstrapIdentity, type BootstrapEndpoint } from '../identity/domain/bootstrap.js';
import { createIdentityServer, type IdentityServer } from '../identity/identity-server.js';
import { writeCredentialFiles } from './credential-files.js';

export interface RunningCloud {
  endpoints: { service: string; url: string }[];
  /** The noVNC console proxy. */
  consoleUrl: string;
  /** The dashboard ('' when it is off). */
  dashboardUrl: string;
  openrc: string;
  cloudsYaml: string;
  adminPasswordGenerated: boolean;
  close(): Promise<void>;
}

/** Catalog entries of the services this build serves. */
export function catalogEndpoints(config: KumoConfig, ports: Record<string, number>): BootstrapEndpoint[] {
  const base = `http://${config.publicHost.includes(':') ? `[${config.publicHost}]` : config.publicHost}`;
  const all: (BootstrapEndpoint & { service: string })[] = [
    { service: 'identity', type: 'identity', name: 'keystone', description: 'Kumo Identity Service', url: `${base}:${ports.identity}/v3` },
    { service: 'image', type: 'image', name: 'glance', description: 'Kumo Image Service', url: `${base}:${ports.image}` },
    {
      service: 'placement',
      type: 'placement',
      name: 'placement',
      description: 'Kumo Placement Service',
      url: `${base}:${ports.placement}`,
    },
    { service: 'compute', type: 'compute', name: 'nova', description: 'Kumo Compute Service', url: `${base}:${ports.compute}/v2.1` },
    { service: 'network', type: 'network', name: 'neutron', description: 'Kumo Network Service', url: `${base}:${ports.network}` },
  ];
  return all.filter((e) => ports[e.service] !== undefined).map(({ service: _s, ...e }) => e);
}

/** Name of the user Kumo's services call each other as, in `kumo up`. */
export const SERVICE_USER = 'kumo-service';

/** A service's HTTP app and how to stop it. */
interface Served {
  name: string;
  /** Undefined for the agent, which serves the bus, not HTTP. */
  app?: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

const boundPort = (app: FastifyInstance): number => (app.server.address() as { port: number }).port;
const urlHost = (h: string): string => (h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '[::1]' : h.includes(':') ? `[${h}]` : h);

/**
 * Everything in one process (`kumo up`): each service on its port, SQLite in
 * the data dir, the in-process bus. First start bootstraps and writes the
 * admin credentials; later starts keep every piece of data.
 */
export async function startAllInOne(config: KumoConfig, logger: Logger, progress: (msg: string) => void): Promise<RunningCloud> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const metrics = new Metrics();
  progress(`data dir ${config.dataDir}`);
  const started: Served[] = [];
  const ports: Record<string, number> = {};
  const closeAll = async (): Promise<void> => {
    // Dependants first: the image service validates tokens through identity.
    for (const s of [...started].reverse()) await s.close();
  };
  try {
    progress('identity: opening database and keys');
    const identity: IdentityServer = await createIdentityServer(config, { logger, metrics });
    started.push({ name: 'identity', app: identity.app, port: config.identity.port, close: () => identity.close() });
    progress('image: opening database and store');
    const image: ImageServer = await createImageServer(config, { logger, metrics, tokens: identity.services.tokens.asValidator() });
    started.push({ name: 'image', app: image.app, port: config.image.port, close: () => image.close() });
    progress('placement: opening database');
    const placement = await createPlacementServer(config, { logger, metrics, tokens: identity.services.tokens.asValidator() });
    started.push({ name: 'placement', app: placement.app, port: config.placement.port, close: () => placement.close() });

    // Services call each other over HTTP as a service user whose password lives only in this process.
    const bus = await openBus(config.busUrl, { logger, exchange: config.busExchange });
    // Closed after every service that serves on it (services close in reverse order).
    started.push({ name: 'bus', app: undefined, port: -1, close: () => bus.close() });
    const servicePassword = newSecret(24);
    const identityUrl = (): string => `http://${urlHost(config.host)}:${ports.identity ?? config.identity.port}/v3`;
    const session = new ServiceSession({
      get authUrl() {
        return identityUrl();
      },
      username: SERVICE_USER,
      password: servicePassword,
      projectName: 'admin',
      userDomainName: 'Default',
      projectDomainName: 'Default',
      region: config.region,
    });
    progress('network: opening database');
    const network = await createNetworkServer(config, { logger, metrics, tokens: identity.services.tokens.asValidator(), bus });
    started.push({ name: 'network', app: network.app, port: config.network.port, close: () => network.close() });
    progress('compute: opening database, starting conductor');
    const compute = await createComputeServer(config, { logger, metrics, tokens: identity.services.tokens.asValidator(), bus, session });
    started.push({
      name: 'compute',
      app: compute.app,
      port: config.compute.port,
      close: () => compute.close(),
    });

    // Bootstrap before listening, so a client that sees /healthcheck answer can log in at once.
    // Port 0 (tests) is the exception: the catalog URLs need the port the kernel picks.
    for (const s of started) {
      if (!s.app) continue;
      if (s.port !== 0) ports[s.name] = s.port;
      else {
        await s.app.listen({ host: config.host, port: 0 });
        ports[s.name] = boundPort(s.app);
      }
    }
    const endpoints = catalogEndpoints(config, Object.fromEntries(started.map((s) => [s.name, ports[s.name] ?? s.port])));

    const openrcPath = join(config.dataDir, 'admin-openrc');
    const password = config.identity.adminPassword || newSecret(18);
    progress('identity: bootstrapping admin, roles, region and catalog');
    const result = await bootstrapIdentity(identity.services, {
      adminPassword: password,
      // An explicit password in the configuration always wins; a generated one is only for a new admin.
      resetPassword: Boolean(config.identity.adminPassword),
      region: config.region,
      endpoints,
      serviceUser: { name: SERVICE_USER, password: servicePassword },
    });
    for (const s of started) {
      if (!s.app) continue;
      if (s.port !== 0) await s.app.listen({ host: config.host, port: s.port });
      progress(`${s.name}: listening on ${config.host}:${ports[s.name]}`);
    }
    let dashboardUrl = '';
    if (config.dashboard.enabled) {
      // Not in the catalog (Horizon is not an API): it reaches identity in-process and the rest through the catalog.
      if (!dashboardBuilt()) progress('dashboard: not built (npm run build builds it); the APIs run without it');
      else {
        const dashboard = await createDashboardServer({ logger, identityUrl, region: config.region });
        started.push({ name: 'dashboard', app: dashboard.app, port: config.dashboard.port, close: () => dashboard.close() });
        await dashboard.app.listen({ host: config.host, port: config.dashboard.port });
        dashboardUrl = `http://${urlHost(config.publicHost)}:${boundPort(dashboard.app)}`;
      }
    }
    if (config.agent.enabled) {
      progress(`agent: starting on host ${config.agent.host} with the ${config.agent.driver} driver`);
      const agent = await startComputeAgent(config, { logger, bus, session });
      started.push({ name: 'agent', app: undefined, port: -1, close: () => agent.close() });
    }
    const authUrl = endpoints[0]?.url ?? '';
    let files = { openrc: openrcPath, cloudsYaml: join(config.dataDir, 'clouds.yaml') };
    const writeFiles = result.adminUserCreated || Boolean(config.identity.adminPassword) || !existsSync(openrcPath);
    if (writeFiles && (result.adminUserCreated || config.identity.adminPassword)) {
      files = writeCredentialFiles(config.dataDir, { authUrl, password, region: config.region });
    } else if (!existsSync(openrcPath)) {
      logger.warn('admin-openrc is missing and the admin password is unknown; run `kumo bootstrap --admin-password ...` to reset it');
    }
    return {
      endpoints: endpoints.map((e) => ({ service: e.type, url: e.url })),
      consoleUrl: compute.consoleProxy.url,
      dashboardUrl,
      openrc: files.openrc,
      cloudsYaml: files.cloudsYaml,
      adminPasswordGenerated: result.adminUserCreated && !config.identity.adminPassword,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
