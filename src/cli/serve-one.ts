import type { FastifyInstance } from 'fastify';
import { startComputeAgent, type ComputeAgent } from '../agent/compute/compute-agent.js';
import { createComputeServer } from '../compute/compute-server.js';
import { createNetworkServer } from '../network/network-server.js';
import { createIdentityServer } from '../identity/identity-server.js';
import { createImageServer } from '../image/image-server.js';
import { openBus } from '../lib/bus/index.js';
import { ServiceSession } from '../lib/clients/service-session.js';
import { ConfigError, type KumoConfig } from '../lib/config/config.js';
import { Metrics } from '../lib/http/metrics.js';
import { RemoteTokenValidator } from '../lib/http/remote-token-validator.js';
import type { Logger } from '../lib/log.js';
import { createPlacementServer } from '../placement/placement-server.js';
import { createDashboardServer } from '../dashboard/dashboard-server.js';

/** The services `kumo serve` runs, each on its own. */
export const SERVABLE = ['identity', 'image', 'placement', 'compute', 'network', 'dashboard'] as const;

export interface ServedOne {
  app: FastifyInstance;
  port: number;
  /** Path of the API root, for the "serving on" line. */
  path: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/** service_auth, checked: a node apart from identity cannot work without it. */
function serviceAuth(config: KumoConfig): KumoConfig['serviceAuth'] {
  const a = config.serviceAuth;
  if (!a.url || !a.username || !a.password) {
    throw new ConfigError('service_auth.url, service_auth.username and service_auth.password are needed to reach the identity service');
  }
  return a;
}

/** Validates callers' tokens by asking identity, as the service user. */
export function remoteTokens(config: KumoConfig): RemoteTokenValidator {
  const a = serviceAuth(config);
  return new RemoteTokenValidator({
    identityUrl: a.url,
    cacheSeconds: a.cacheTime,
    service: {
      username: a.username,
      password: a.password,
      projectName: a.projectName,
      userDomainName: a.userDomainName,
      projectDomainName: a.projectDomainName,
    },
  });
}

/** How a node calls the other services: a service-user token and the catalog. */
export function serviceSession(config: KumoConfig): ServiceSession {
  const a = serviceAuth(config);
  return new ServiceSession({
    authUrl: a.url,
    username: a.username,
    password: a.password,
    projectName: a.projectName,
    userDomainName: a.userDomainName,
    projectDomainName: a.projectDomainName,
    region: config.region,
  });
}

/** One API service, built for running apart: identity validates its own tokens, the others ask identity. */
export async function serveOne(service: string, config: KumoConfig, logger: Logger): Promise<ServedOne> {
  const metrics = new Metrics();
  switch (service) {
    case 'identity': {
      const s = await createIdentityServer(config, { logger, metrics });
      return { app: s.app, port: config.identity.port, path: '/v3', databaseUrl: config.identity.databaseUrl, close: () => s.close() };
    }
    case 'image': {
      const s = await createImageServer(config, { logger, metrics, tokens: remoteTokens(config) });
      return { app: s.app, port: config.image.port, path: '', databaseUrl: config.image.databaseUrl, close: () => s.close() };
    }
    case 'placement': {
      const s = await createPlacementServer(config, { logger, metrics, tokens: remoteTokens(config) });
      return { app: s.app, port: config.placement.port, path: '', databaseUrl: config.placement.databaseUrl, close: () => s.close() };
    }
    case 'compute': {
      // The compute API node also runs the conductor and the console proxy; agents reach it over the bus.
      const tokens = remoteTokens(config);
      const session = serviceSession(config);
      const bus = await openBus(config.busUrl, { logger, exchange: config.busExchange });
      try {
        const s = await createComputeServer(config, { logger, metrics, tokens, bus, session });
        const close = async (): Promise<void> => {
          await s.close();
          await bus.close();
        };
        return { app: s.app, port: config.compute.port, path: '/v2.1', databaseUrl: config.compute.databaseUrl, close };
      } catch (e) {
        await bus.close();
        throw e;
      }
    }
    case 'network': {
      const bus = await openBus(config.busUrl, { logger, exchange: config.busExchange });
      try {
        const s = await createNetworkServer(config, { logger, metrics, tokens: remoteTokens(config), bus });
        const close = async (): Promise<void> => {
          await s.close();
          await bus.close();
        };
        return { app: s.app, port: config.network.port, path: '', databaseUrl: config.network.databaseUrl, close };
      } catch (e) {
        await bus.close();
        throw e;
      }
    }
    case 'dashboard': {
      const identityUrl = config.dashboard.identityUrl || config.serviceAuth.url;
      if (!identityUrl) throw new ConfigError('dashboard.identity_url (or service_auth.url) is needed to sign users in');
      const s = await createDashboardServer({ logger, identityUrl: () => identityUrl, region: config.region });
      return { app: s.app, port: config.dashboard.port, path: '', databaseUrl: '(none)', close: () => s.close() };
    }
    default:
      throw new ConfigError(`unknown service '${service}': this build serves ${SERVABLE.join(', ')}`);
  }
}

/** `kumo agent`: the compute agent of one hypervisor, on the shared bus. */
export async function startAgentNode(config: KumoConfig, logger: Logger): Promise<{ agent: ComputeAgent; close(): Promise<void> }> {
  const session = serviceSession(config);
  const bus = await openBus(config.busUrl, { logger, exchange: config.busExchange });
  try {
    const agent = await startComputeAgent(config, { logger, bus, session });
    return {
      agent,
      close: async () => {
        await agent.close();
        await bus.close();
      },
    };
  } catch (e) {
    await bus.close();
    throw e;
  }
}
