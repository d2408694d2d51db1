import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { KumoConfig } from '../lib/config/config.js';
import { FernetKeyRepository } from '../lib/crypto/fernet-key-repository.js';
import { openMigratedDatabase } from '../lib/db/migrations.js';
import { createServiceApp } from '../lib/http/app.js';
import type { Metrics } from '../lib/http/metrics.js';
import type { Logger } from '../lib/log.js';
import { PolicyEngine } from '../lib/policy/policy-engine.js';
import { registerIdentityRoutes } from './api/identity-routes.js';
import { createIdentityServices, type IdentityServices } from './domain/identity-services.js';
import { IDENTITY_POLICY } from './domain/policy-defaults.js';
import { Revision } from './domain/revision.js';
import type { IdentityDatabase } from './store/identity-database.js';
import { identityMigrations } from './store/migrations/index.js';
import type { IdentityDB } from './store/schema.js';

/** A ready identity service: its database, domain services and HTTP app. */
export interface IdentityServer {
  readonly app: FastifyInstance;
  readonly services: IdentityServices;
  readonly database: IdentityDatabase;
  close(): Promise<void>;
}

export interface IdentityServerDeps {
  logger: Logger;
  metrics: Metrics;
}

/** Opens and migrates the identity database. */
export function openIdentityDatabase(config: KumoConfig): Promise<IdentityDatabase> {
  return openMigratedDatabase<IdentityDB>(config.identity.databaseUrl, 'identity', identityMigrations);
}

/** The Fernet key repository, created on first use like `keystone-manage fernet_setup`. */
export function identityKeys(config: KumoConfig): FernetKeyRepository {
  mkdirSync(config.identity.keyDir, { recursive: true, mode: 0o700 });
  const keys = new FernetKeyRepository({ dir: config.identity.keyDir, maxActiveKeys: config.identity.maxActiveKeys });
  keys.setup();
  return keys;
}

export async function createIdentityServer(config: KumoConfig, deps: IdentityServerDeps): Promise<IdentityServer> {
  const database = await openIdentityDatabase(config);
  try {
    const policy = await PolicyEngine.fromFile(config.identity.policyFile || undefined, IDENTITY_POLICY);
    const ctx = { config: config.identity, db: database.db, policy, revision: new Revision(), log: deps.logger };
    const services = createIdentityServices(ctx, identityKeys(config));
    const app = createServiceApp({
      name: 'identity',
      faultStyle: 'keystone',
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: config.identity.bodyLimit,
      tokens: services.tokens.asValidator(),
      healthy: () => database.ping(),
    });
    // Keystone tells clients where to authenticate on every 401.
    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode === 401) reply.header('www-authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
      return payload;
    });
    registerIdentityRoutes(app, services);
    // Other identity processes sharing the database write without bumping our revision:
    // expiring every cache on a timer bounds how long their changes go unseen here.
    const expireCaches = setInterval(() => ctx.revision.bump(), config.identity.cacheTime * 1000);
    expireCaches.unref();
    return {
      app,
      services,
      database,
      async close() {
        clearInterval(expireCaches);
        await app.close();
        await database.close();
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
}
