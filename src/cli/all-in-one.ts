import { existsSync, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { KumoConfig } from '../lib/config/config.js';
import { newSecret } from '../lib/ids.js';
import { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { createImageServer, type ImageServer } from '../image/image-server.js';
import { bootstrapIdentity, type BootstrapEndpoint } from '../identity/domain/bootstrap.js';
import { createIdentityServer, type IdentityServer } from '../identity/identity-server.js';
import { writeCredentialFiles } from './credential-files.js';

export interface RunningCloud {
  endpoints: { service: string; url: string }[];
  openrc: string;
  cloudsYaml: string;
  adminPasswordGenerated: boolean;
  close(): Promise<void>;
}

/** Catalog entries of the services this build serves. */
export function catalogEndpoints(config: KumoConfig, ports: { identity: number; image: number }): BootstrapEndpoint[] {
  const base = `http://${config.publicHost.includes(':') ? `[${config.publicHost}]` : config.publicHost}`;
  return [
    { type: 'identity', name: 'keystone', description: 'Kumo Identity Service', url: `${base}:${ports.identity}/v3` },
    { type: 'image', name: 'glance', description: 'Kumo Image Service', url: `${base}:${ports.image}` },
  ];
}

/** A service's HTTP app and how to stop it. */
interface Served {
  name: string;
  app: FastifyInstance;
  port: number;
  close(): Promise<void>;
}

const boundPort = (app: FastifyInstance): number => (app.server.address() as { port: number }).port;

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

    // Bootstrap before listening, so a client that sees /healthcheck answer can log in at once.
    // Port 0 (tests) is the exception: the catalog URLs need the port the kernel picks.
    const ports: Record<string, number> = {};
    for (const s of started) {
      if (s.port !== 0) ports[s.name] = s.port;
      else {
        await s.app.listen({ host: config.host, port: 0 });
        ports[s.name] = boundPort(s.app);
      }
    }
    const endpoints = catalogEndpoints(config, { identity: ports.identity ?? 0, image: ports.image ?? 0 });

    const openrcPath = join(config.dataDir, 'admin-openrc');
    const password = config.identity.adminPassword || newSecret(18);
    progress('identity: bootstrapping admin, roles, region and catalog');
    const result = await bootstrapIdentity(identity.services, {
      adminPassword: password,
      // An explicit password in the configuration always wins; a generated one is only for a new admin.
      resetPassword: Boolean(config.identity.adminPassword),
      region: config.region,
      endpoints,
    });
    for (const s of started) {
      if (s.port !== 0) await s.app.listen({ host: config.host, port: s.port });
      progress(`${s.name}: listening on ${config.host}:${ports[s.name]}`);
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
