import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KumoConfig } from '../lib/config/config.js';
import { newSecret } from '../lib/ids.js';
import { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
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
export function catalogEndpoints(config: KumoConfig, ports: { identity: number }): BootstrapEndpoint[] {
  const base = `http://${config.publicHost.includes(':') ? `[${config.publicHost}]` : config.publicHost}`;
  return [{ type: 'identity', name: 'keystone', description: 'Kumo Identity Service', url: `${base}:${ports.identity}/v3` }];
}

/**
 * Everything in one process (`kumo up`): each service on its port, SQLite in
 * the data dir, the in-process bus. First start bootstraps and writes the
 * admin credentials; later starts keep every piece of data.
 */
export async function startAllInOne(config: KumoConfig, logger: Logger, progress: (msg: string) => void): Promise<RunningCloud> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const metrics = new Metrics();
  progress(`data dir ${config.dataDir}`);
  progress('identity: opening database and keys');
  const identity: IdentityServer = await createIdentityServer(config, { logger, metrics });
  try {
    // Bootstrap before listening, so a client that sees /healthcheck answer can log in at once.
    // Port 0 (tests) is the exception: the catalog URLs need the port the kernel picks.
    const listen = async (): Promise<number> => {
      await identity.app.listen({ host: config.host, port: config.identity.port });
      return (identity.app.server.address() as { port: number }).port;
    };
    const port = config.identity.port === 0 ? await listen() : config.identity.port;

    const openrcPath = join(config.dataDir, 'admin-openrc');
    const password = config.identity.adminPassword || newSecret(18);
    progress('identity: bootstrapping admin, roles, region and catalog');
    const result = await bootstrapIdentity(identity.services, {
      adminPassword: password,
      // An explicit password in the configuration always wins; a generated one is only for a new admin.
      resetPassword: Boolean(config.identity.adminPassword),
      region: config.region,
      endpoints: catalogEndpoints(config, { identity: port }),
    });
    if (config.identity.port !== 0) await listen();
    progress(`identity: listening on ${config.host}:${port}`);
    const authUrl = catalogEndpoints(config, { identity: port })[0]?.url ?? '';
    let files = { openrc: openrcPath, cloudsYaml: join(config.dataDir, 'clouds.yaml') };
    const writeFiles = result.adminUserCreated || Boolean(config.identity.adminPassword) || !existsSync(openrcPath);
    if (writeFiles && (result.adminUserCreated || config.identity.adminPassword)) {
      files = writeCredentialFiles(config.dataDir, { authUrl, password, region: config.region });
    } else if (!existsSync(openrcPath)) {
      logger.warn('admin-openrc is missing and the admin password is unknown; run `kumo bootstrap --admin-password ...` to reset it');
    }
    return {
      endpoints: [{ service: 'identity', url: authUrl }],
      openrc: files.openrc,
      cloudsYaml: files.cloudsYaml,
      adminPasswordGenerated: result.adminUserCreated && !config.identity.adminPassword,
      close: () => identity.close(),
    };
  } catch (e) {
    await identity.close();
    throw e;
  }
}
